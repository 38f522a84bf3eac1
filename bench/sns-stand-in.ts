/**
 * A loopback stand-in for SNS's PublishBatch (query protocol), enough for the publisher bundle:
 * it accepts every entry and counts calls, messages and payload bytes, which is what SNS bills.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SnsTally {
  calls: number;
  messages: number;
  /** Message bodies and attribute values, in bytes. */
  payloadBytes: number;
  /** Publish requests as SNS bills them: each message, per 64 KB chunk. */
  billedPublishes: number;
}

export interface SnsStandIn {
  readonly endpoint: string;
  tally: SnsTally;
  reset(): SnsTally;
  close(): Promise<void>;
}

const emptyTally = (): SnsTally => ({ calls: 0, messages: 0, payloadBytes: 0, billedPublishes: 0 });
const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);

export async function startSnsStandIn(): Promise<SnsStandIn> {
  const standIn = {
    tally: emptyTally(),
    reset(): SnsTally {
      const counted = standIn.tally;
      standIn.tally = emptyTally();
      return counted;
    },
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const entries = new Map<string, number>();
      for (const [name, value] of form) {
        const match = /^PublishBatchRequestEntries\.member\.(\d+)\.(.+)$/.exec(name);
        if (match === null) continue;
        const bytes = match[2] === 'Message' || match[2]!.endsWith('.Value.StringValue') ? Buffer.byteLength(value) : 0;
        entries.set(match[1]!, (entries.get(match[1]!) ?? 0) + bytes);
      }
      standIn.tally.calls++;
      const successful: string[] = [];
      for (const [member, bytes] of entries) {
        standIn.tally.messages++;
        standIn.tally.payloadBytes += bytes;
        standIn.tally.billedPublishes += Math.max(1, Math.ceil(bytes / 65_536));
        const id = form.get(`PublishBatchRequestEntries.member.${member}.Id`) ?? member;
        successful.push(`<member><Id>${escapeXml(id)}</Id><MessageId>m-${standIn.tally.messages}</MessageId><SequenceNumber>${standIn.tally.messages}</SequenceNumber></member>`);
      }
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${successful.join('')}</Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(standIn, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
