import { data } from 'react-router';
import type { Route } from './+types/not-found';
import { ErrorPage } from '../components/errors/ErrorPage.tsx';

// Catches every URL no other route claims, so unknown pages answer 404 inside the app's frame.
export function loader() {
  throw data(null, { status: 404 });
}

// Never shown (the loader always throws); React Router expects a leaf route to render something.
export default function NotFound() {
  return null;
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  return <ErrorPage error={error} />;
}
