// What promoting a release into an environment would meet (the API's promotion preview), for
// the Promote modal's fetcher (releases/PromoteModal.tsx). A resource route: JSON only, and a
// problem comes back as a value the modal shows rather than as an error page.
import type { Route } from './+types/promotion-preview';
import { previewPromotion } from '../../promotions/releases.server.ts';
import type { PreviewAnswer } from '../../promotions/deployments.ts';
import { requireUser } from '../../session.server.ts';

export async function loader({ context, params, request, url }: Route.LoaderArgs): Promise<PreviewAnswer> {
  const { accessToken } = await requireUser(request, context);
  const result = await previewPromotion(
    { context, token: accessToken, signal: request.signal },
    params.slug,
    params.environment,
    url.searchParams.get('release') ?? '',
  );
  return result.ok ? { preview: result.body, problem: null } : { preview: null, problem: result.problem };
}
