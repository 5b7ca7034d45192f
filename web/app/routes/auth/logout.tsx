import { redirect } from 'react-router';
import type { Route } from './+types/logout';
import { endSession } from '../../session.server.ts';

// Signing out is a POST (the header's button); a GET here just goes home.
export function loader() {
  return redirect('/');
}

export async function action({ context }: Route.ActionArgs) {
  await endSession(context);
  return redirect('/login');
}
