// Promote: a modal to choose the target environment (from a release) or the release (from an
// environment), which reads the promotion's preview for the pair from the portal's resource
// route (routes/tenants/promotion-preview.ts) and shows it in words. Submitting posts to the
// Releases page's action, which starts the promotion and sends the browser to its operation
// page, the live view of the promotion; a problem the API answers stays in the modal.
import { Alert, Button, Group, Loader, Modal, NativeSelect, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { href, useFetcher } from 'react-router';
import type { Release } from '../../../contracts/releases.ts';
import { formatProblem } from '../connectors/problem-text.ts';
import type { EnvironmentDeployment, PreviewAnswer, PromoteAnswer } from './deployments.ts';
import { PromotionPreviewView } from './PromotionPreviewView.tsx';
import { shortImage } from './promotion-text.ts';

/** What the modal was opened for: one release (choose where) or one environment (choose what). */
export type PromoteTarget = { release: number } | { environment: string };

/** The environment to offer first for a release: the first ready one it does not run in yet. */
function firstEnvironmentFor(release: number, deployments: EnvironmentDeployment[]): string {
  const ready = deployments.filter((deployment) => deployment.status === 'ready');
  return (
    (ready.find((deployment) => deployment.current?.release !== release) ?? ready[0] ?? deployments[0])?.environment ??
    ''
  );
}

/**
 * The modal; its form (state, fetchers) mounts afresh each time it opens, so an earlier
 * preview or problem never shows for another choice.
 */
export function PromoteModal({
  slug,
  target,
  onClose,
  releases,
  deployments,
  idempotencyKey,
}: {
  slug: string;
  /** null: closed. */
  target: PromoteTarget | null;
  onClose: () => void;
  releases: Release[];
  deployments: EnvironmentDeployment[];
  /** Per page load; with the pair it makes a double submit start one promotion. */
  idempotencyKey: string;
}) {
  // Kept while the modal closes, so its content does not vanish before it does.
  const [shown, setShown] = useState<PromoteTarget | null>(target);
  if (target !== null && target !== shown) setShown(target);
  const title =
    shown === null ? '' : 'release' in shown ? `Promote release ${shown.release}` : `Promote to ${shown.environment}`;
  return (
    <Modal opened={target !== null} onClose={onClose} title={title} size="lg" data-testid="promote-modal">
      {shown ? (
        <PromoteForm
          key={JSON.stringify(shown)}
          slug={slug}
          target={shown}
          onClose={onClose}
          releases={releases}
          deployments={deployments}
          idempotencyKey={idempotencyKey}
        />
      ) : null}
    </Modal>
  );
}

function PromoteForm({
  slug,
  target,
  onClose,
  releases,
  deployments,
  idempotencyKey,
}: {
  slug: string;
  target: PromoteTarget;
  onClose: () => void;
  releases: Release[];
  deployments: EnvironmentDeployment[];
  idempotencyKey: string;
}) {
  const fixedRelease = 'release' in target;
  const [environment, setEnvironment] = useState(() =>
    'release' in target ? firstEnvironmentFor(target.release, deployments) : target.environment,
  );
  const [release, setRelease] = useState(() =>
    'release' in target ? String(target.release) : releases[0] ? String(releases[0].number) : '',
  );
  const preview = useFetcher<PreviewAnswer>();
  const promote = useFetcher<PromoteAnswer>();

  const pair = environment && release ? `${environment}/${release}` : '';
  const load = preview.load;
  useEffect(() => {
    if (!environment || !release) return;
    const path = href('/tenants/:slug/environments/:environment/promotion-preview', { slug, environment });
    void load(`${path}?${new URLSearchParams({ release })}`);
  }, [load, slug, environment, release]);

  const loading = preview.state !== 'idle';
  const answer = loading ? undefined : preview.data;
  // An answer about another pair (the choice changed meanwhile) is not shown.
  const shown =
    answer?.preview && `${answer.preview.environment}/${answer.preview.release}` === pair ? answer.preview : null;
  const submitting = promote.state !== 'idle';
  const problem = promote.data?.problem ?? null;
  const canSubmit = shown !== null && shown.canPromote && !submitting;

  return (
    <promote.Form method="post" action={href('/tenants/:slug/releases', { slug })} aria-label="Promote a release">
      <input type="hidden" name="intent" value="promote" />
      <input type="hidden" name="idempotencyKey" value={`${idempotencyKey}/${pair}`} />
      <Stack gap="md">
        {fixedRelease ? (
          <>
            <input type="hidden" name="release" value={release} />
            <NativeSelect
              name="environment"
              label="Target environment"
              description="In promotion order, with what runs there now."
              value={environment}
              onChange={(event) => setEnvironment(event.currentTarget.value)}
              data={deployments.map((deployment) => ({
                value: deployment.environment,
                label: `${deployment.position}. ${deployment.environment} (${deployment.current ? `runs release ${deployment.current.release}` : 'nothing yet'}${deployment.status === 'ready' ? '' : `, ${deployment.status}`})`,
              }))}
              error={promote.data?.fieldErrors.environment}
            />
          </>
        ) : (
          <>
            <input type="hidden" name="environment" value={environment} />
            <NativeSelect
              name="release"
              label="Release"
              value={release}
              onChange={(event) => setRelease(event.currentTarget.value)}
              data={releases.map((candidate) => ({
                value: String(candidate.number),
                label: `Release ${candidate.number}: ${shortImage(candidate.image).short}`,
              }))}
              error={promote.data?.fieldErrors.release}
            />
          </>
        )}

        {loading ? (
          <Group gap="xs" data-testid="promotion-preview-loading">
            <Loader size="xs" />
            <Text size="sm" c="dimmed">
              Reading what applies in {environment}…
            </Text>
          </Group>
        ) : answer?.problem ? (
          <Alert color="red" title="The preview could not be read" data-testid="promotion-preview-problem">
            {formatProblem(answer.problem)}
          </Alert>
        ) : shown ? (
          <PromotionPreviewView preview={shown} />
        ) : null}

        {problem ? (
          <Alert color="red" title={problem.title} data-testid="promote-problem">
            {formatProblem(problem)}
          </Alert>
        ) : null}

        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={!canSubmit} loading={submitting} data-testid="promote-submit">
            {shown?.approval ? 'Request the promotion' : 'Promote'}
          </Button>
        </Group>
      </Stack>
    </promote.Form>
  );
}
