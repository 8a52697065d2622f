import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { takeExclusiveTurn, type ReleaseTurn } from './exclusive-turn';
import {
  MAX_MESSAGE_BYTES,
  ProtocolViolation,
  authenticationCleartextPassword,
  authenticationOk,
  backendKeyData,
  errorResponse,
  negotiateProtocolVersion,
  passwordOf,
  readFrontendMessage,
  readStartupPacket,
  readyForQuery,
  sessionStateAfter,
  statementTextOf,
  type FrontendMessage,
  type StartupPacket,
} from './pg-wire-messages';

/** What every connection of one server shares. */
export interface WireSessionSettings {
  db: PGlite;
  /** The only database name accepted in the startup packet. */
  database: string;
  /** When set, the password the client must send (cleartext: the server listens on loopback). */
  password: string | undefined;
  /** The ParameterStatus messages PGlite announces at startup, replayed to every client. */
  parameterStatuses: Buffer;
  /** A connection idle this long while it holds the database (in a transaction) is closed; 0 = never. */
  idleInTransactionTimeoutMs: number;
  log: (line: string) => void;
  /**
   * Why the database stopped answering, once it has: PGlite's backend cannot be restarted in
   * the same instance, so every later session is refused with that reason instead of hanging.
   */
  failure: { reason: string | undefined };
}

/**
 * Messages after which the client waits for an answer: a simple Query, Sync (the end of an
 * extended-protocol batch) and Flush. Everything before one of them runs as one batch, so no
 * other client's messages can land in the middle of it.
 */
const BATCH_ENDS = new Set(['Q', 'S', 'H']);
/** The rest of what a client may send in a session: Parse, Bind, Execute, Describe, Close, FunctionCall. */
const BATCH_PARTS = new Set(['P', 'B', 'E', 'D', 'C', 'F']);
/**
 * COPY's data messages: PostgreSQL ignores them outside a COPY, and no COPY from the client
 * ever starts here (see COPY_FROM_CLIENT).
 */
const COPY_IN_MESSAGES = new Set(['d', 'c', 'f']);
/**
 * PGlite's backend exits for good on COPY … FROM STDIN sent as a protocol message, taking the
 * database down with it for every client, so such statements are refused before they reach it.
 * The check is textual: a statement that merely mentions both words is refused too.
 */
const COPY_FROM_CLIENT = /\bcopy\b[\s\S]*?\bfrom\s+stdin\b/i;

/** Ends whatever the session was in the middle of (see `closeSession`). */
const ROLLBACK_QUERY = (() => {
  const text = Buffer.from('ROLLBACK\0', 'utf8');
  const header = Buffer.alloc(5);
  header.write('Q', 0, 'latin1');
  header.writeInt32BE(4 + text.length, 1);
  return Buffer.concat([header, text]);
})();
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
/** How long a closing connection's last error may take to reach its client. */
const FAREWELL_MS = 1000;

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * One client connection to the shared PGlite backend. PGlite is a single-user backend, so a
 * connection takes the database's exclusive lock for each batch of messages, and keeps it while
 * its session is inside a transaction (or in the middle of an extended-protocol exchange) after
 * the batch, until the transaction ends or the connection closes (its work is then rolled back).
 * Other connections wait their turn meanwhile, as they would for a lock held by that transaction.
 */
export class PgliteWireConnection {
  private received: Buffer = Buffer.alloc(0);
  private phase: 'startup' | 'password' | 'session' | 'closed' = 'startup';
  private batch: Buffer[] = [];
  private batchBytes = 0;
  /** Batches run one after another, in the order the client sent them. */
  private work: Promise<void> = Promise.resolve();
  private batchesInFlight = 0;
  private releaseTurn: ReleaseTurn | undefined;
  /** The backend session's state as this connection last left it. */
  private sessionState: 'I' | 'T' | 'E' | 'busy' = 'I';
  private idleTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly settings: WireSessionSettings,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // A reset or a half-written answer only ends this connection, never the server.
    socket.on('error', () => void this.close());
    socket.on('close', () => void this.close());
  }

  /**
   * Ends the connection, after sending `lastWords` when given; resolves once its session is
   * rolled back and the database released.
   */
  close(lastWords?: Buffer): Promise<void> {
    this.closing ??= (async () => {
      this.phase = 'closed';
      this.clearIdleTimer();
      if (lastWords !== undefined && this.socket.writable) {
        this.socket.end(lastWords);
        // A client that never reads its error must not keep the socket open.
        setTimeout(() => this.socket.destroy(), FAREWELL_MS).unref();
      } else {
        this.socket.destroy();
      }
      await this.work;
      await this.closeSession();
    })();
    return this.closing;
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.clearIdleTimer();
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    try {
      this.consumeReceived();
    } catch (error) {
      // Whatever a client sends ends at most its own connection.
      const reason = error instanceof Error ? error.message : String(error);
      this.settings.log(`closing a connection that broke the protocol: ${reason}`);
      this.fail('08P01', error instanceof ProtocolViolation ? reason : 'invalid message');
      return;
    }
    this.armIdleTimer();
  }

  private consumeReceived(): void {
    while (this.phase !== 'closed') {
      if (this.phase === 'startup') {
        const read = readStartupPacket(this.received);
        if (read === undefined) return;
        this.received = this.received.subarray(read.length);
        this.onStartupPacket(read.packet);
      } else {
        const message = readFrontendMessage(this.received);
        if (message === undefined) return;
        this.received = this.received.subarray(message.frame.length);
        if (this.phase === 'password') this.onPassword(message);
        else this.onSessionMessage(message);
      }
    }
  }

  private onStartupPacket(packet: StartupPacket): void {
    switch (packet.kind) {
      case 'ssl-request':
      case 'gss-enc-request':
        // Loopback only: no encryption offered; the client carries on in the clear.
        this.socket.write('N');
        return;
      case 'cancel-request':
        // One backend serves everyone, so there is nothing that could be cancelled on its own.
        void this.close();
        return;
      case 'startup': {
        const unsupported = [...packet.parameters.keys()].filter((name) =>
          name.startsWith('_pq_.'),
        );
        if (packet.minorVersion > 0 || unsupported.length > 0) {
          this.socket.write(negotiateProtocolVersion(unsupported));
        }
        const database = packet.parameters.get('database') ?? packet.parameters.get('user');
        if (database !== this.settings.database) {
          this.fail('3D000', `database "${database ?? ''}" does not exist`);
          return;
        }
        if (this.settings.password === undefined) {
          this.startSession();
        } else {
          this.phase = 'password';
          this.socket.write(authenticationCleartextPassword());
        }
      }
    }
  }

  private onPassword(message: FrontendMessage): void {
    const expected = this.settings.password ?? '';
    if (message.type !== 'p' || !timingSafeEqual(digest(passwordOf(message)), digest(expected))) {
      this.fail('28P01', 'password authentication failed');
      return;
    }
    this.startSession();
  }

  private startSession(): void {
    if (this.refusedForFailure()) return;
    this.phase = 'session';
    this.socket.write(
      Buffer.concat([
        authenticationOk(),
        this.settings.parameterStatuses,
        backendKeyData(randomInt(1, 2 ** 31 - 1), randomInt(0, 2 ** 31 - 1)),
        readyForQuery('I'),
      ]),
    );
  }

  private onSessionMessage(message: FrontendMessage): void {
    if (message.type === 'X') {
      void this.close();
      return;
    }
    if (COPY_IN_MESSAGES.has(message.type)) return;
    // PGlite's backend waits forever on a message type it does not know, holding the database.
    if (!BATCH_ENDS.has(message.type) && !BATCH_PARTS.has(message.type)) {
      throw new ProtocolViolation(`invalid frontend message type ${JSON.stringify(message.type)}`);
    }
    if (COPY_FROM_CLIENT.test(statementTextOf(message) ?? '')) {
      this.fail('0A000', 'COPY FROM STDIN is not supported by the embedded database; use INSERT');
      return;
    }
    this.batch.push(message.frame);
    this.batchBytes += message.frame.length;
    if (this.batchBytes > MAX_MESSAGE_BYTES) {
      throw new ProtocolViolation('too much data without a Sync');
    }
    if (!BATCH_ENDS.has(message.type)) return;
    const batch = Buffer.concat(this.batch);
    this.batch = [];
    this.batchBytes = 0;
    this.batchesInFlight += 1;
    this.work = this.work.then(() => this.runBatch(batch));
  }

  private async runBatch(batch: Buffer): Promise<void> {
    try {
      if (this.isClosed() || this.refusedForFailure()) return;
      this.releaseTurn ??= await takeExclusiveTurn(this.settings.db);
      // The client may have gone while this connection waited for its turn.
      if (this.isClosed()) return;
      const output = await this.settings.db.execProtocolRaw(batch);
      if (!this.socket.destroyed) this.socket.write(Buffer.from(output));
      this.sessionState = sessionStateAfter(output) ?? this.sessionState;
      if (this.sessionState === 'I') this.giveTurnBack();
    } catch (error) {
      // Not an SQL error (those come back as ErrorResponse in the output): the engine failed.
      const reason = error instanceof Error ? error.message : String(error);
      this.settings.failure.reason ??= reason;
      this.settings.log(`the embedded database failed: ${reason}`);
      this.fail('XX000', `the embedded database failed: ${reason}`);
    } finally {
      this.batchesInFlight -= 1;
      this.armIdleTimer();
    }
  }

  /**
   * After the client left: a session still inside a transaction or an unfinished exchange is
   * rolled back before the database is released, as PostgreSQL does when a backend's client goes.
   * A simple-query ROLLBACK aborts an open (even implicit) transaction; when the backend was
   * skipping messages after an error it ignores that, and the Sync ends the skipping; a failed
   * transaction block then takes a second ROLLBACK.
   */
  private async closeSession(): Promise<void> {
    if (this.releaseTurn === undefined) return;
    try {
      // A failed backend answers nothing any more: there is nothing left to roll back.
      if (this.sessionState !== 'I' && this.settings.failure.reason === undefined) {
        const { db } = this.settings;
        const output = await db.execProtocolRaw(Buffer.concat([ROLLBACK_QUERY, SYNC]));
        if (sessionStateAfter(output) !== 'I') {
          const again = await db.execProtocolRaw(ROLLBACK_QUERY);
          if (sessionStateAfter(again) !== 'I') {
            this.settings.log('a closed connection left the embedded database in a transaction');
          }
        }
        this.sessionState = 'I';
      }
    } catch (error) {
      this.settings.log(
        `rolling back a closed connection failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      this.giveTurnBack();
    }
  }

  /** Refuses the client when the database has failed; true if it did. */
  private refusedForFailure(): boolean {
    const { reason } = this.settings.failure;
    if (reason === undefined) return false;
    this.fail('57P03', `the embedded database stopped after an error (${reason}); restart it`);
    return true;
  }

  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  private giveTurnBack(): void {
    const release = this.releaseTurn;
    this.releaseTurn = undefined;
    release?.();
  }

  /** Sends a FATAL error the client can show, then closes the connection. */
  private fail(code: string, message: string): void {
    void this.close(errorResponse('FATAL', code, message));
  }

  /**
   * While the connection holds the database and waits for its client, every other connection
   * waits too: a client that stays silent that long (an open transaction left in a terminal) is
   * disconnected, and its transaction rolled back, so the rest of the pipeline carries on.
   */
  private armIdleTimer(): void {
    const timeoutMs = this.settings.idleInTransactionTimeoutMs;
    if (timeoutMs <= 0 || this.phase !== 'session') return;
    if (this.releaseTurn === undefined || this.batchesInFlight > 0) return;
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => {
      this.settings.log('closing a connection idle in a transaction');
      this.fail('25P03', 'terminating connection due to idle-in-transaction timeout');
    }, timeoutMs);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
