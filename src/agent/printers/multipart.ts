/**
 * A `multipart/form-data` body (RFC 7578) that streams its one file part, with
 * its length known in advance — so the upload of a large G-code file needs
 * neither memory for the whole file nor chunked transfer encoding, which not
 * every print host accepts.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export interface MultipartBody {
  contentType: string;
  contentLength: number;
  stream: Readable;
}

/** Form fields first (hosts read them before the file), then the file part. */
export function multipartBody(fields: Record<string, string>, file: { field: string; name: string; length: number; open(): Readable }): MultipartBody {
  const boundary = `----fabgate-${randomBytes(12).toString('hex')}`;
  const quote = (s: string) => s.replace(/["\r\n\\]/g, '_');
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${quote(file.field)}"; filename="${quote(file.name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const headBytes = Buffer.from(head, 'utf8');
  const tailBytes = Buffer.from(tail, 'utf8');
  async function* body(): AsyncGenerator<Buffer> {
    yield headBytes;
    for await (const chunk of file.open()) yield chunk as Buffer;
    yield tailBytes;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: headBytes.length + file.length + tailBytes.length,
    stream: Readable.from(body(), { objectMode: false }),
  };
}
