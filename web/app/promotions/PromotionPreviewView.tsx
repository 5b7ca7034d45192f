import { Alert, List, Stack, Text } from '@mantine/core';
import type { PromotionPreview } from '../../../contracts/promotions.ts';
import { formatTimestamp } from '../components/Timestamp.tsx';
import { durationText, stageText } from './promotion-text.ts';

/** The soak time in the previous environment in words, given the time now. */
function soakText(soak: NonNullable<PromotionPreview['soak']>, release: number, now: number): string {
  const time = durationText(soak.minutes * 60_000);
  if (soak.ranSince === null || soak.soakedAt === null)
    return `Release ${release} must first run in ${soak.previousEnvironment} for ${time}; it has not run there.`;
  const since = formatTimestamp(soak.ranSince);
  if (Date.parse(soak.soakedAt) <= now)
    return `It has run in ${soak.previousEnvironment} since ${since}: its soak time of ${time} has passed.`;
  return `It has run in ${soak.previousEnvironment} since ${since}: the promotion will wait until ${formatTimestamp(soak.soakedAt)} (a soak time of ${time}) before it deploys.`;
}

/**
 * What promoting a release into an environment will meet, in plain words: what it replaces,
 * the approval and its escalation, the soak time, a freeze window in force, and the blockers
 * that keep it from starting now.
 */
export function PromotionPreviewView({ preview }: { preview: PromotionPreview }) {
  const { environment, release, currentRelease, approval, soak, freeze, blockers } = preview;
  // The modal only renders in the browser after a click: the time now is the reader's.
  const now = Date.now();
  return (
    <Stack gap="sm" data-testid="promotion-preview">
      <Text size="sm" data-testid="preview-current">
        {currentRelease === null
          ? `Nothing runs in ${environment} yet: release ${release} will be its first.`
          : currentRelease === release
            ? `Release ${release} runs in ${environment} already; promoting it deploys it again.`
            : `${environment} runs release ${currentRelease} now; release ${release} replaces it (and a failed rollout rolls back to ${currentRelease}).`}
      </Text>

      <Stack gap={4} data-testid="preview-approval">
        <Text size="sm" fw={600}>
          Approval
        </Text>
        {approval === null ? (
          <Text size="sm">No approval needed: the approval policy asks for none in {environment}.</Text>
        ) : (
          <>
            <Text size="sm">
              The policy’s rule “{approval.rule}” applies
              {approval.stages.length > 1 ? ', in stages that escalate when they expire' : ''}:
            </Text>
            <List size="sm" type="ordered" spacing={2}>
              {approval.stages.map((stage, index) => (
                <List.Item key={stage.name} data-testid="preview-stage">
                  <Text span size="sm" fw={500}>
                    {stage.name}:
                  </Text>{' '}
                  {stageText(stage, approval.stages[index + 1])}
                </List.Item>
              ))}
            </List>
            <Text size="xs" c="dimmed">
              You cannot approve your own promotion; the approvers find it in their approvals queue and get a mail.
            </Text>
          </>
        )}
      </Stack>

      {soak ? (
        <Stack gap={4} data-testid="preview-soak">
          <Text size="sm" fw={600}>
            Soak time
          </Text>
          <Text size="sm">{soakText(soak, release, now)}</Text>
        </Stack>
      ) : null}

      {freeze ? (
        <Alert color="orange" title="A freeze window is in force" data-testid="preview-freeze">
          “{freeze.reason}”: the promotion will wait until {formatTimestamp(freeze.until)} before it deploys
          {approval ? ' (the approval can be given meanwhile)' : ''}.
        </Alert>
      ) : null}

      {blockers.length > 0 ? (
        <Alert color="red" title="It cannot start now" data-testid="preview-blockers">
          <List size="sm" spacing={2}>
            {blockers.map((blocker) => (
              <List.Item key={blocker} data-testid="preview-blocker">
                {blocker}
              </List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
    </Stack>
  );
}
