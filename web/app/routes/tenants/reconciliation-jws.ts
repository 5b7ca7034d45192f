// Downloads one reconciliation record as its compact JWS (what the worker signed, byte for
// byte), with the signed-in user's session; the plan page's "Verify" reads the same file.
import type { Route } from './+types/reconciliation-jws';
import type { ReconciliationDocument } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { signedFile } from '../../api/signed-file.server.ts';
import { tenantApiPath } from '../../api/tenant-action.server.ts';
import { requireUser } from '../../session.server.ts';

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const result = await callApi<ReconciliationDocument>(
    context,
    `${tenantApiPath(params.slug)}/reconciliations/${encodeURIComponent(params.period)}`,
    { signal: request.signal, token: accessToken },
  );
  return signedFile(request, result, {
    body: (document) => document.jws,
    filename: `atrium-reconciliation-${params.slug}-${params.period}.jws`,
    contentType: 'application/jose',
  });
}
