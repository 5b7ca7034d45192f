import type { Route } from './+types/operation';
import { loadFromApi } from '../../api/client.server.ts';
import type { Operation } from '../../../../contracts/index.ts';
import { OperationView } from '../../components/operations/OperationView.tsx';
import { requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `${loaderData?.operation.id ?? 'Operation'} · Atrium` },
];

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const operation = await loadFromApi<Operation>(
    context,
    `/api/v1/operations/${encodeURIComponent(params.operationId)}`,
    { signal: request.signal, token: accessToken },
  );
  return { operation };
}

export default function OperationPage({ loaderData }: Route.ComponentProps) {
  // Keyed by id: moving to another operation starts a fresh view with its own stream.
  return <OperationView key={loaderData.operation.id} initial={loaderData.operation} />;
}
