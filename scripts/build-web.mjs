#!/usr/bin/env node
// Copies the inspector page's static files next to its compiled script (dist/inspector/web):
// `tsc -p src/inspector/web/tsconfig.json` writes app.js there; the server serves the folder.
import { copyFileSync, mkdirSync } from 'node:fs';

const from = new URL('../src/inspector/web/', import.meta.url);
const to = new URL('../dist/inspector/web/', import.meta.url);
mkdirSync(to, { recursive: true });
for (const file of ['index.html', 'app.css', 'favicon.svg']) copyFileSync(new URL(file, from), new URL(file, to));
