import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** 50 MB of dictionary lines: a download that takes long enough to kill a worker in the middle. */
export const HELD_DOWNLOAD_SIZE = 50 * 1000 * 1000;
/** Where the first download stops and holds its connection open. */
export const HELD_DOWNLOAD_HOLD_AT = 8_000_000;

export interface HeldDownload {
  server: Server;
  /** `http://127.0.0.1:<port>`: any path serves the file. */
  base: string;
  /** One entry per request: when it came and how many bytes it has been sent. */
  requests: Array<{ at: number; sent: number }>;
}

/**
 * A loopback file server whose first request stops after HELD_DOWNLOAD_HOLD_AT bytes and holds its
 * connection open, so a worker killed then is killed mid-download however slow the machine; every
 * later request gets the whole file.
 */
export async function startHeldDownload(): Promise<HeldDownload> {
  const requests: HeldDownload['requests'] = [];
  const line = Buffer.from('car, automobile, auto\n');
  const block = Buffer.concat(Array.from({ length: Math.ceil(400_000 / line.length) }, () => line));
  const server = createServer((_req, res) => {
    const request = { at: Date.now(), sent: 0 };
    requests.push(request);
    const first = requests.length === 1;
    res.writeHead(200, { 'content-length': String(HELD_DOWNLOAD_SIZE) });
    const pump = () => {
      while (!res.destroyed && request.sent < HELD_DOWNLOAD_SIZE) {
        if (first && request.sent >= HELD_DOWNLOAD_HOLD_AT) return;
        const piece = block.subarray(0, Math.min(block.length, HELD_DOWNLOAD_SIZE - request.sent));
        request.sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}
