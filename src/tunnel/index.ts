/** Opens the tunnel a dev session asks for: ngrok, or the user's own public URL. */
import { ngrokTunnelFactory } from './ngrok.js';
import { publicUrlTunnel } from './public-url.js';
import type { TunnelFactory } from './types.js';

export type { Tunnel, TunnelFactory, TunnelRequest } from './types.js';

const ngrok = ngrokTunnelFactory();

export const openTunnel: TunnelFactory = async (request) => {
  switch (request.kind) {
    case 'public-url':
      return publicUrlTunnel(request.url);
    case 'ngrok':
      return ngrok(request);
  }
};
