/**
 * A PostgreSQL client reduced to a socket and a few frontend messages, for tests that must do
 * what a driver never does on purpose: vanish in the middle of a transaction or an unfinished
 * extended-protocol exchange, or send bytes that break the protocol.
 */
import { connect, type Socket } from 'node:net';
import { waitFor } from '../../scripts/local/wait-for';

function frame(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

const cString = (text: string): Buffer => Buffer.from(`${text}\0`, 'utf8');

export const frontend = {
  startup(parameters: Record<string, string>): Buffer {
    const body = Buffer.concat([
      ...Object.entries(parameters).flatMap(([name, value]) => [cString(name), cString(value)]),
      Buffer.from([0]),
    ]);
    const header = Buffer.alloc(8);
    header.writeInt32BE(8 + body.length, 0);
    header.writeInt32BE(0x0003_0000, 4);
    return Buffer.concat([header, body]);
  },
  password: (password: string): Buffer => frame('p', cString(password)),
  query: (text: string): Buffer => frame('Q', cString(text)),
  /** Parse + Bind + Execute of an unnamed statement without parameters. */
  parseBindExecute: (text: string): Buffer =>
    Buffer.concat([
      frame('P', Buffer.concat([cString(''), cString(text), Buffer.from([0, 0])])),
      frame('B', Buffer.concat([cString(''), cString(''), Buffer.from([0, 0, 0, 0, 0, 0])])),
      frame('E', Buffer.concat([cString(''), Buffer.alloc(4)])),
    ]),
  flush: (): Buffer => frame('H', Buffer.alloc(0)),
};

export interface RawPgSocket {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves once the received bytes hold `count` messages of `type` (e.g. 'Z' ReadyForQuery). */
  waitForMessages(type: string, count?: number): Promise<void>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
}

/** The type bytes of the backend messages in `bytes`, in order. */
export function messageTypes(bytes: Buffer): string[] {
  const types: string[] = [];
  for (let offset = 0; offset + 5 <= bytes.length; offset += 1 + bytes.readInt32BE(offset + 1)) {
    types.push(String.fromCharCode(bytes[offset] ?? 0));
  }
  return types;
}

export async function openRawPgSocket(port: number): Promise<RawPgSocket> {
  const socket = connect({ host: '127.0.0.1', port });
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => received,
    waitForMessages: async (type, count = 1) => {
      await waitFor(() => messageTypes(received).filter((seen) => seen === type).length >= count, {
        what: `${count} '${type}' message(s) from the server`,
      });
    },
    closed,
  };
}
