import { describe, it } from 'vitest';
import { defineTable } from './harness.js';

defineTable(['configure'], { describe, it });
