import { redirect } from 'react-router';
import type { Route } from './+types/home';
import { lastTenant, optionalUser } from '../session.server.ts';

// The portal has no landing page of its own: the tenant seen last, or the tenants list.
export async function loader({ context }: Route.LoaderArgs) {
  const signedIn = await optionalUser(context);
  const slug = signedIn ? lastTenant(context) : undefined;
  return redirect(slug ? `/tenants/${encodeURIComponent(slug)}/members` : '/tenants');
}
