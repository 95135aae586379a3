/**
 * A local stand-in for ngrok: a forwarder on 127.0.0.1 that plays the tunnel's edge. Its public
 * URL is an https address on a reserved name (.invalid never resolves), and the demo's "Twilio"
 * reaches it the way DNS would send Twilio to ngrok: by connecting to the forwarder with that Host.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Tunnel, TunnelFactory } from '../tunnel/types.js';

export interface StandInTunnel extends Tunnel {
  /** Where the public URL's traffic really goes: http://127.0.0.1:PORT. */
  readonly edge: string;
}

export interface StandInTunnels {
  factory: TunnelFactory;
  /** The tunnel the factory opened (after the session is ready). */
  current(): StandInTunnel | undefined;
}

export function standInTunnels(): StandInTunnels {
  let opened: StandInTunnel | undefined;
  const factory: TunnelFactory = async (req) => {
    if (req.kind !== 'ngrok') throw new Error('the demo tunnel forwards to the proxy address');
    const target = new URL(req.addr.includes('://') ? req.addr : `http://${req.addr}`);
    const server: Server = createServer((inbound, outbound) => {
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          method: inbound.method,
          path: inbound.url,
          headers: inbound.headers,
        },
        (answer) => {
          outbound.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outbound);
        },
      );
      forward.on('error', () => outbound.writeHead(502).end('tunnel: the proxy did not answer'));
      inbound.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    opened = {
      url: `https://${randomBytes(4).toString('hex')}.twhook-demo.invalid`,
      provider: 'local stand-in for ngrok',
      edge: `http://127.0.0.1:${port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
      onLost: () => {},
    };
    return opened;
  };
  return { factory, current: () => opened };
}
