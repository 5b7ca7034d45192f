// The Releases page's calls to the API: the tenant's releases (api/routes/releases.ts), each
// environment's promotions and a promotion's preview (api/promotions/promotion-routes.ts), and
// what the page needs around them (the caller's permissions, the plan, members' names).
// "What runs where" is read from each environment's promotions: the last one that succeeded
// is what runs there (as the API's preview says), an open one is on its way.
import type { RouterContextProvider } from 'react-router';
import type { ApiResult } from '../api/client.server.ts';
import { callApi } from '../api/client.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type {
  Environment,
  EnvironmentList,
  MemberList,
  Membership,
  Problem,
  TenantPlanOverview,
} from '../../../contracts/index.ts';
import type { PromotionList, PromotionPreview, PromotionStarted } from '../../../contracts/promotions.ts';
import type { Release, ReleaseList } from '../../../contracts/releases.ts';
import { formText } from '../form-text.ts';
import type { EnvironmentDeployment } from './deployments.ts';
import { isOpenPromotion } from './promotion-text.ts';

export interface Call {
  context: Readonly<RouterContextProvider>;
  token: string;
  signal?: AbortSignal;
}

const get = <T>({ context, token, signal }: Call, path: string) =>
  callApi<T>(context, path, { token, ...(signal ? { signal } : {}) });

const environmentPath = (slug: string, environment: string) =>
  `${tenantApiPath(slug)}/environments/${encodeURIComponent(environment)}`;

/** Each environment's promotions, read in parallel, as "what runs where", in promotion order. */
export async function loadDeployments(
  call: Call,
  slug: string,
  environments: Environment[],
): Promise<EnvironmentDeployment[]> {
  const listed = await Promise.all(
    environments.map((environment) =>
      get<PromotionList>(call, `${environmentPath(slug, environment.name)}/promotions`),
    ),
  );
  return environments.map((environment, index) => {
    const result = listed[index]!;
    const items = result.ok ? result.body.items : [];
    const newest = items[0] ?? null;
    return {
      environment: environment.name,
      position: environment.position,
      status: environment.status,
      deployRoles: [...environment.protection.deployRoles],
      current: items.find((promotion) => promotion.status === 'succeeded') ?? null,
      open: items.find((promotion) => isOpenPromotion(promotion.status)) ?? null,
      lastFailed: newest && !isOpenPromotion(newest.status) && newest.status !== 'succeeded' ? newest : null,
      known: result.ok,
    };
  });
}

/**
 * For the Environments page: what runs in each environment and the releases its Promote can
 * offer. Neither is needed to show the environments, so a problem leaves them empty.
 */
export async function loadEnvironmentReleases(
  call: Call,
  slug: string,
  environments: Environment[],
): Promise<{ releases: Release[]; deployments: EnvironmentDeployment[] }> {
  const [releases, deployments] = await Promise.all([
    get<ReleaseList>(call, `${tenantApiPath(slug)}/releases`),
    loadDeployments(call, slug, environments),
  ]);
  return { releases: releases.ok ? releases.body.items : [], deployments };
}

/** Whether the tenant's plan has releases and promotions, and which plan would bring them. */
export interface PromotionsGate {
  plan: string;
  enabled: boolean;
  /** The first plan that includes the `promotions` feature (null: none, or the plan could not be read). */
  unlockedBy: string | null;
}

function gateOf(plan: ApiResult<TenantPlanOverview>): PromotionsGate {
  // Unreadable plan: let the API decide (a create answers plan-feature-missing).
  if (!plan.ok) return { plan: 'unknown', enabled: true, unlockedBy: null };
  const has = (features: string[]) => features.includes('promotions');
  const current = plan.body.options.find((option) => option.plan === plan.body.plan);
  return {
    plan: plan.body.plan,
    enabled: current ? has(current.features) : true,
    unlockedBy: plan.body.options.find((option) => has(option.features))?.plan ?? null,
  };
}

/** Member ids as names ("Dana Developer <dana@…>"); empty when the caller may not list members. */
function peopleOf(members: ApiResult<MemberList>): Record<string, string> {
  if (!members.ok) return {};
  return Object.fromEntries(members.body.items.map((member) => [member.userId, member.displayName || member.email]));
}

export interface ReleasesPage {
  membership: Membership;
  gate: PromotionsGate;
  releases: Release[];
  environments: Environment[];
  deployments: EnvironmentDeployment[];
  people: Record<string, string>;
}

/** Everything the Releases page shows; the first API answer that is a problem is returned as is. */
export async function loadReleasesPage(call: Call, slug: string): Promise<ApiResult<ReleasesPage>> {
  const base = tenantApiPath(slug);
  const [membership, releases, environments, plan, members] = await Promise.all([
    get<Membership>(call, `${base}/members/me`),
    get<ReleaseList>(call, `${base}/releases`),
    get<EnvironmentList>(call, `${base}/environments`),
    get<TenantPlanOverview>(call, `${base}/plan`),
    get<MemberList>(call, `${base}/members`),
  ]);
  if (!membership.ok) return membership;
  if (!releases.ok) return releases;
  if (!environments.ok) return environments;
  return {
    ok: true,
    status: 200,
    body: {
      membership: membership.body,
      gate: gateOf(plan),
      releases: releases.body.items,
      environments: environments.body.items,
      deployments: await loadDeployments(call, slug, environments.body.items),
      people: peopleOf(members),
    },
  };
}

/** The create form's fields as the API's request body; empty optional fields are left out. */
export function releaseBodyFrom(form: FormData): Record<string, string> {
  const body: Record<string, string> = { image: formText(form, 'image').trim() };
  const configurationVersion = formText(form, 'configurationVersion').trim();
  if (configurationVersion) body.configurationVersion = configurationVersion;
  const notes = formText(form, 'notes');
  if (notes.trim()) body.notes = notes;
  return body;
}

export function createRelease(
  { context, token }: Call,
  slug: string,
  body: Record<string, string>,
  idempotencyKey: string,
): Promise<ApiResult<Release>> {
  return callApi(context, `${tenantApiPath(slug)}/releases`, {
    method: 'POST',
    token,
    body,
    headers: { 'idempotency-key': idempotencyKey },
  });
}

export function promoteRelease(
  { context, token }: Call,
  slug: string,
  environment: string,
  release: number,
  idempotencyKey: string,
): Promise<ApiResult<PromotionStarted>> {
  return callApi(context, `${environmentPath(slug, environment)}/promotions`, {
    method: 'POST',
    token,
    body: { release },
    headers: { 'idempotency-key': idempotencyKey },
  });
}

export function previewPromotion(
  call: Call,
  slug: string,
  environment: string,
  release: string,
): Promise<ApiResult<PromotionPreview>> {
  return get(call, `${environmentPath(slug, environment)}/promotions/preview?${new URLSearchParams({ release })}`);
}

/** The API's field errors by the first segment of their path (`image`, `notes`, `release`). */
export function fieldErrorsOf(problem: Problem): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const error of problem.errors ?? []) {
    const field = error.path.split('.')[0] || 'form';
    errors[field] ??= error.message;
  }
  return errors;
}
