/**
 * The few pieces of the PostgreSQL frontend/backend protocol (version 3.0) that a server in front
 * of PGlite must handle itself: framing of what clients send, and the messages it answers without
 * asking the database (authentication, errors, the end of a session).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Untyped packets a client sends before the session starts, told apart by this code. */
export const STARTUP_CODES = {
  /** Protocol 3.0; a newer minor version (3.2) gets NegotiateProtocolVersion. */
  protocol3: 0x0003_0000,
  sslRequest: 80877103,
  gssEncRequest: 80877104,
  cancelRequest: 80877102,
} as const;

/** Bounds a length field must respect before anything is buffered for it. */
const MAX_STARTUP_PACKET_BYTES = 10_000;
/** Far above any statement this project sends (a registration is a few hundred KiB at most). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A client broke the protocol; its connection is closed after the error is sent. */
export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation';
}

export type StartupPacket =
  | { kind: 'ssl-request' }
  | { kind: 'gss-enc-request' }
  | { kind: 'cancel-request' }
  | { kind: 'startup'; minorVersion: number; parameters: Map<string, string> };

/** A typed frontend message: its type byte and the whole frame (type, length, body). */
export interface FrontendMessage {
  type: string;
  frame: Buffer;
}

function parseStartupParameters(body: Buffer): Map<string, string> {
  const parameters = new Map<string, string>();
  const fields = body.toString('utf8').split('\0');
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const name = fields[index];
    if (!name) break;
    parameters.set(name, fields[index + 1] ?? '');
  }
  return parameters;
}

/**
 * The startup-phase packet at the head of `buffer` and its length, or undefined until it has
 * fully arrived. Throws ProtocolViolation for a length or code no client sends.
 */
export function readStartupPacket(
  buffer: Buffer,
): { packet: StartupPacket; length: number } | undefined {
  if (buffer.length < 8) return undefined;
  const length = buffer.readInt32BE(0);
  if (length < 8 || length > MAX_STARTUP_PACKET_BYTES) {
    throw new ProtocolViolation(`invalid startup packet length ${length}`);
  }
  if (buffer.length < length) return undefined;
  const code = buffer.readInt32BE(4);
  if (code === STARTUP_CODES.sslRequest) return { packet: { kind: 'ssl-request' }, length };
  if (code === STARTUP_CODES.gssEncRequest) return { packet: { kind: 'gss-enc-request' }, length };
  if (code === STARTUP_CODES.cancelRequest) return { packet: { kind: 'cancel-request' }, length };
  if (code >>> 16 !== 3) {
    throw new ProtocolViolation(`unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`);
  }
  const parameters = parseStartupParameters(buffer.subarray(8, length));
  return { packet: { kind: 'startup', minorVersion: code & 0xffff, parameters }, length };
}

/**
 * The typed message at the head of `buffer`, or undefined until it has fully arrived. Throws
 * ProtocolViolation for a length that cannot be right.
 */
export function readFrontendMessage(buffer: Buffer): FrontendMessage | undefined {
  if (buffer.length < 5) return undefined;
  const bodyLength = buffer.readInt32BE(1);
  if (bodyLength < 4 || bodyLength > MAX_MESSAGE_BYTES) {
    throw new ProtocolViolation(`invalid message length ${bodyLength}`);
  }
  if (buffer.length < 1 + bodyLength) return undefined;
  return { type: String.fromCharCode(buffer[0] ?? 0), frame: buffer.subarray(0, 1 + bodyLength) };
}

function backendMessage(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

const int32 = (...values: number[]): Buffer => {
  const buffer = Buffer.alloc(4 * values.length);
  values.forEach((value, index) => buffer.writeInt32BE(value, 4 * index));
  return buffer;
};

const cString = (text: string): Buffer => Buffer.from(`${text}\0`, 'utf8');

export const authenticationOk = (): Buffer => backendMessage('R', int32(0));

export const authenticationCleartextPassword = (): Buffer => backendMessage('R', int32(3));

export const backendKeyData = (processId: number, secretKey: number): Buffer =>
  backendMessage('K', int32(processId, secretKey));

/** ReadyForQuery with transaction status 'I' (idle), 'T' (in a transaction) or 'E' (failed). */
export const readyForQuery = (status: 'I' | 'T' | 'E'): Buffer =>
  backendMessage('Z', Buffer.from(status, 'latin1'));

/** NegotiateProtocolVersion: this server speaks 3.0, and none of the `_pq_.` options sent. */
export const negotiateProtocolVersion = (unsupportedOptions: readonly string[]): Buffer =>
  backendMessage(
    'v',
    Buffer.concat([int32(0, unsupportedOptions.length), ...unsupportedOptions.map(cString)]),
  );

/** ErrorResponse with the fields clients show: severity, SQLSTATE code and message. */
export const errorResponse = (severity: 'ERROR' | 'FATAL', code: string, message: string): Buffer =>
  backendMessage(
    'E',
    Buffer.concat([
      cString(`S${severity}`),
      cString(`V${severity}`),
      cString(`C${code}`),
      cString(`M${message}`),
      Buffer.from([0]),
    ]),
  );

/** The body of a PasswordMessage ('p'): the password, NUL-terminated. */
export function passwordOf(message: FrontendMessage): string {
  const body = message.frame.subarray(5);
  const end = body.indexOf(0);
  return body.subarray(0, end === -1 ? body.length : end).toString('utf8');
}

/** The SQL text of a Query ('Q') or Parse ('P') message; undefined for any other message. */
export function statementTextOf(message: FrontendMessage): string | undefined {
  if (message.type !== 'Q' && message.type !== 'P') return undefined;
  const fields = message.frame.subarray(5).toString('utf8').split('\0');
  return message.type === 'Q' ? fields[0] : fields[1];
}

/** Every backend message of one type in `output`, as whole frames, in order. */
export function backendMessagesOfType(output: Uint8Array, type: string): Buffer[] {
  const bytes = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  const wanted = type.charCodeAt(0);
  const found: Buffer[] = [];
  for (let offset = 0; offset + 5 <= bytes.length;) {
    const end = offset + 1 + bytes.readInt32BE(offset + 1);
    if (bytes[offset] === wanted) found.push(bytes.subarray(offset, end));
    offset = end;
  }
  return found;
}

/**
 * Where a backend's session stands after it wrote `output`: the transaction status of a final
 * ReadyForQuery ('I' idle, 'T' in a transaction, 'E' in a failed one); 'busy' when the output
 * ends with anything else (the batch ended with Flush, or a COPY waits for data), so the session
 * is still in the middle of something; undefined for no output at all (nothing changed).
 */
export function sessionStateAfter(output: Uint8Array): 'I' | 'T' | 'E' | 'busy' | undefined {
  const bytes = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  if (bytes.length === 0) return undefined;
  let last = 0;
  for (let offset = 0; offset + 5 <= bytes.length; offset += 1 + bytes.readInt32BE(offset + 1)) {
    last = offset;
  }
  if (bytes[last] !== 'Z'.charCodeAt(0)) return 'busy';
  const status = String.fromCharCode(bytes[last + 5] ?? 0);
  return status === 'I' || status === 'T' || status === 'E' ? status : 'busy';
}
