import type { TunnelFactory } from './types.js';

// Placeholder until the tunnels land (issue 5).
export const openTunnel: TunnelFactory = async () => {
  throw new Error('tunnels are not built yet');
};
