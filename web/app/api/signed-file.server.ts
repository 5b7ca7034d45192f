// Answers a signed document (a license, a reconciliation record) as a file to download: the
// compact JWS exactly as signed, named so it can be told apart on disk. Errors go the way
// every loader's do (result.server.ts): sign-in again, the app's 404, or the problem.
import type { ApiResult } from './client.server.ts';
import { resultOrThrow } from './result.server.ts';

export function signedFile<T>(
  request: Request,
  result: ApiResult<T>,
  file: { body: (document: T) => string; filename: string; contentType: string },
): Response {
  const document = resultOrThrow(result, request);
  return new Response(file.body(document), {
    headers: {
      'content-type': file.contentType,
      // Slugs and days are [a-z0-9-]: the name needs no quoting beyond the quotes.
      'content-disposition': `attachment; filename="${file.filename}"`,
      'cache-control': 'private, no-store',
    },
  });
}
