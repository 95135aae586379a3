/** A public URL that reaches a local port. Owned by the dev work (issue 5). */
export interface Tunnel {
  /** The public base URL, e.g. https://abc123.ngrok.app (no trailing slash). */
  readonly url: string;
  /** Which provider: 'ngrok', 'public-url' (the user runs their own tunnel). */
  readonly provider?: string;
  close(): Promise<void>;
  /** Called when the tunnel drops for good (the provider did not bring it back). */
  onLost(listener: (reason: string) => void): void;
}

export type TunnelRequest =
  { kind: 'ngrok'; addr: string; domain?: string; authtoken?: string } | { kind: 'public-url'; url: string };

export type TunnelFactory = (request: TunnelRequest) => Promise<Tunnel>;
