import { readdirSync, readFileSync, readlinkSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFaultSpec } from '../../lib/local/faults';
import { LocalStack, type LocalStackOptions } from '../../lib/local/stack';

/**
 * The contract: the UI and the emulators listen on 127.0.0.1 only. A local stack is started and every
 * endpoint it exposes is checked three ways: its URL names 127.0.0.1; it cannot be reached on any other
 * address of this machine; and the kernel's socket table shows every listening socket of this process and
 * its children (if any) bound to 127.0.0.1, none to 0.0.0.0 or ::.
 */

const WORKFLOWS = join(__dirname, '..', '..', 'workflows');
/** A refused connection answers at once; a filtered one is given this long. */
const CONNECT_TIMEOUT_MS = 500;

type Reach = 'connected' | 'refused' | 'timeout' | `error ${string}`;

/** Connects to host:port, then hangs up. */
function reach(host: string, port: number): Promise<Reach> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    const done = (result: Reach) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done('connected'));
    socket.once('timeout', () => done('timeout'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'refused' : `error ${error.code ?? error.message}`));
  });
}

/** This machine's addresses other than 127.0.0.1: every interface's IPv4 and IPv6 (link-local with its zone), and ::1. */
function otherAddresses(): string[] {
  const addresses = new Set<string>(['::1']);
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      addresses.add(info.family === 'IPv6' && info.address.toLowerCase().startsWith('fe80:') ? `${info.address}%${name}` : info.address);
    }
  }
  return [...addresses];
}

interface Listening {
  pid: number;
  /** As the kernel shows it: `0100007F:1F90`. */
  local: string;
  address: string;
  port: number;
  table: 'tcp' | 'tcp6';
}

/** The processes this one started, and theirs (the local stack runs in-process; a child would be checked too). */
function descendants(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // comm may hold spaces and parentheses: the fields after the last ')' are state, ppid, ….
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  return inodes;
}

/** `0100007F` → 127.0.0.1; IPv6 as four little-endian words. */
function decodeAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((byte) => parseInt(hex.slice(byte * 2, byte * 2 + 2), 16)).join('.');
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) for (let byte = 3; byte >= 0; byte--) bytes.push(parseInt(hex.slice(word * 8 + byte * 2, word * 8 + byte * 2 + 2), 16));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':');
}

const LISTEN = '0A';

/** The listening TCP sockets of these processes, from /proc/net/tcp and tcp6. */
function listeningSockets(pids: number[]): Listening[] {
  const owner = new Map<string, number>();
  for (const pid of pids) for (const inode of socketInodes(pid)) owner.set(inode, pid);
  const sockets: Listening[] = [];
  for (const table of ['tcp', 'tcp6'] as const) {
    const lines = readFileSync(`/proc/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [local, , state] = fields.slice(1, 4);
      const inode = fields[9];
      const pid = owner.get(inode);
      if (state !== LISTEN || pid === undefined) continue;
      const [addressHex, portHex] = local.split(':');
      sockets.push({ pid, local, address: decodeAddress(addressHex), port: parseInt(portHex, 16), table });
    }
  }
  return sockets;
}

const portOf = (url: string): number => Number(new URL(url).port);

async function expectLoopbackOnly(options: Omit<LocalStackOptions, 'workflows' | 'stateDir'>): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'a2i-loopback-'));
  const stack = await LocalStack.start({ workflows: WORKFLOWS, stateDir, port: 0, ...options });
  try {
    const urls = [stack.url, ...Object.values(stack.endpoints)];
    expect(Object.keys(stack.endpoints).length).toBeGreaterThan(0);
    for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ports = [...new Set(urls.map(portOf))];
    // The local S3 and SQS (or the fault proxy in front of them), dynalite and our server: distinct ports.
    expect(ports.length).toBeGreaterThanOrEqual(3);

    // Reachable on loopback (so a refusal elsewhere means something), and on no other address.
    const others = otherAddresses();
    const attempts = await Promise.all(ports.flatMap((port) => [{ host: '127.0.0.1', port }, ...others.map((host) => ({ host, port }))].map(async ({ host, port }) => ({ host, port, result: await reach(host, port) }))));
    for (const attempt of attempts) {
      if (attempt.host === '127.0.0.1') expect(attempt).toEqual({ ...attempt, result: 'connected' });
      else expect(attempt).toEqual({ ...attempt, result: expect.stringMatching(/^(refused|timeout|error E(HOSTUNREACH|NETUNREACH|ADDRNOTAVAIL))$/) });
    }

    // The kernel's view: every listening socket of this process and its children is on 127.0.0.1.
    const children = descendants(process.pid);
    const sockets = listeningSockets([process.pid, ...children]);
    for (const port of ports) expect(sockets.map((socket) => socket.port)).toContain(port);
    for (const socket of sockets) expect(socket).toEqual({ ...socket, table: 'tcp', local: expect.stringMatching(/^0100007F:/), address: '127.0.0.1' });
  } finally {
    await stack.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

describe('the local stack listens on 127.0.0.1 only', () => {
  test('the UI and the A2I, SageMaker and Step Functions APIs, the local S3 and SQS, and dynalite', () => expectLoopbackOnly({}), 60_000);

  test('with fault injection on, the fault proxy in front of S3 and SQS too', () => expectLoopbackOnly({ faults: parseFaultSpec('s3.error=0') }), 60_000);
});

describe('the checks themselves', () => {
  test('decode the kernel\'s addresses', () => {
    expect(decodeAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeAddress('00000000')).toBe('0.0.0.0');
    expect(decodeAddress('00000000000000000000000001000000')).toBe('0:0:0:0:0:0:0:1');
    expect(decodeAddress('0000000000000000FFFF00000100007F')).toBe('0:0:0:0:0:ffff:7f00:1');
  });

  test('see a server on every interface: in the socket table, and reachable on another address', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, resolve)); // no host: ::, every interface
    try {
      const { port } = server.address() as AddressInfo;
      const socket = listeningSockets([process.pid]).find((candidate) => candidate.port === port);
      expect(socket).toMatchObject({ table: 'tcp6', address: '0:0:0:0:0:0:0:0' });
      const [other] = otherAddresses().filter((address) => address !== '::1' && !address.includes(':'));
      if (other) expect(await reach(other, port)).toBe('connected');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
