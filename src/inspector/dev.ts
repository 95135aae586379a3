/**
 * The web inspector in a `twhook dev` session: one more renderer of the session's requests (it
 * keeps each request's capture record), served from before the session starts; once the tunnel
 * is up, a session step adds its URL to the `ready` event and turns replay on.
 */
import type { Ctx } from '../ctx.js';
import { UsageError } from '../errors.js';
import type { RequestEvent } from '../dev/events.js';
import type { DevSessionOptions, SessionExtension } from '../dev/session.js';
import type { CaptureRecord } from '../capture/format.js';
import { createSender } from '../send/http.js';
import { startInspector, type InspectorServer } from './server.js';
import { InspectorStore, type EventInspection } from './store.js';

export interface DevInspector {
  server: InspectorServer;
  onRecord(event: RequestEvent, record: CaptureRecord, inspection?: EventInspection): void;
  extension: SessionExtension;
  close(): Promise<void>;
}

export async function startDevInspector(
  _ctx: Ctx,
  session: DevSessionOptions,
  options: { port?: number },
): Promise<DevInspector> {
  const store = new InspectorStore();
  const server = await startInspector({
    store,
    info: { mode: 'dev', target: session.target, capture: session.capture },
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(session.listenPort !== undefined ? { avoid: [session.listenPort] } : {}),
    replayOff: 'replay starts once the tunnel is up',
    sender: () => createSender({ connections: 4 }),
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE')
      throw new UsageError(`port ${options.port} is in use: pick another --inspect-port, or --no-inspect`);
    throw err;
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close().catch(() => undefined);
  };
  return {
    server,
    onRecord: (event, record, inspection) => store.addEvent(event, record, inspection),
    extension: {
      name: 'inspector',
      async setup(context) {
        server.setInfo({ publicUrl: context.publicUrl });
        const authToken = session.authTokens[0];
        server.setReplay({
          sendTo: context.proxyUrl,
          signFor: context.publicUrl,
          curlTo: context.publicUrl,
          ...(authToken ? { authToken } : {}),
          ...(session.basicAuth ? { basicAuth: session.basicAuth } : {}),
          label: `the app, through this session (signed for ${context.publicUrl})`,
          markReplays: true,
        });
        return { ready: { url: server.url }, teardown: close };
      },
    },
    close,
  };
}
