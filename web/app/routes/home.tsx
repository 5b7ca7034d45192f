import { redirect } from 'react-router';

// The portal has no landing page of its own: tenants are where everything starts.
export function loader() {
  return redirect('/tenants');
}
