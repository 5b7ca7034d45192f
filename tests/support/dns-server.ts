// A tiny authoritative DNS server on loopback (UDP, node:dgram) for the outbound guard's
// rebinding test: it answers A queries with whatever `answer` returns for the nth query of a
// name, with TTL 0 so no resolver keeps an answer. Nothing else: AAAA and other types get an
// empty answer, and it only ever tells resolvers an address; it sends no traffic of its own.
import { createSocket } from 'node:dgram';

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for dns.Resolver#setServers. */
  address: string;
  /** A queries received, per lower-cased name. */
  queries: Map<string, number>;
  stop(): Promise<void>;
}

const TYPE_A = 1;
const CLASS_IN = 1;

/** `answer(name, n)`: the IPv4 address for the nth (1-based) A query of `name`, or null for none. */
export async function startTestDnsServer(answer: (name: string, n: number) => string | null): Promise<TestDnsServer> {
  const queries = new Map<string, number>();
  const socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    const question = readQuestion(message);
    if (!question) return;
    let address: string | null = null;
    if (question.type === TYPE_A && question.class === CLASS_IN) {
      const n = (queries.get(question.name) ?? 0) + 1;
      queries.set(question.name, n);
      address = answer(question.name, n);
    }
    socket.send(reply(message, question.end, address), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The first question of a query: its name, type, class and where it ends. */
function readQuestion(message: Buffer): { name: string; type: number; class: number; end: number } | null {
  if (message.length < 12 || message.readUInt16BE(4) < 1) return null;
  const labels: string[] = [];
  let offset = 12;
  while (offset < message.length && message[offset] !== 0) {
    const length = message[offset]!;
    labels.push(message.subarray(offset + 1, offset + 1 + length).toString('latin1'));
    offset += 1 + length;
  }
  offset += 1; // the root label
  if (offset + 4 > message.length) return null;
  return {
    name: labels.join('.').toLowerCase(),
    type: message.readUInt16BE(offset),
    class: message.readUInt16BE(offset + 2),
    end: offset + 4,
  };
}

/** The query's header and question, turned into an answer with at most one A record. */
function reply(query: Buffer, questionEnd: number, address: string | null): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // same id
  // QR (answer), AA (authoritative), RD copied from the query, RA; no error.
  header.writeUInt16BE(0x8000 | 0x0400 | (query.readUInt16BE(2) & 0x0100) | 0x0080, 2);
  header.writeUInt16BE(1, 4); // one question
  header.writeUInt16BE(address ? 1 : 0, 6);
  const question = query.subarray(12, questionEnd);
  if (!address) return Buffer.concat([header, question]);
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  record.writeUInt16BE(TYPE_A, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(0, 6); // TTL 0: never cached
  record.writeUInt16BE(4, 10);
  Buffer.from(address.split('.').map(Number)).copy(record, 12);
  return Buffer.concat([header, question, record]);
}
