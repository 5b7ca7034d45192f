// Downloads the tenant's signed license (a JWT) with the signed-in user's session.
import type { Route } from './+types/license-download';
import type { TenantLicenseDocument } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { signedFile } from '../../api/signed-file.server.ts';
import { tenantApiPath } from '../../api/tenant-action.server.ts';
import { requireUser } from '../../session.server.ts';

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const result = await callApi<TenantLicenseDocument>(context, `${tenantApiPath(params.slug)}/license`, {
    signal: request.signal,
    token: accessToken,
  });
  return signedFile(request, result, {
    body: (license) => license.token,
    filename: `atrium-license-${params.slug}.jwt`,
    contentType: 'application/jwt',
  });
}
