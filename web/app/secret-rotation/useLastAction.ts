import { useEffect, useState } from 'react';
import { useNavigation } from 'react-router';

/**
 * The last action's answer, kept while the page revalidates: React Router forgets actionData on
 * every revalidation, and this page revalidates every two seconds while a rotation runs, which
 * would take a refusal or the started rotation's link away before anyone read it. A new
 * submission forgets it.
 */
export function useLastAction<T>(actionData: T | undefined): T | undefined {
  const [kept, setKept] = useState(actionData);
  const submitting = useNavigation().state === 'submitting';
  useEffect(() => {
    if (actionData !== undefined) setKept(actionData);
  }, [actionData]);
  useEffect(() => {
    if (submitting) setKept(undefined);
  }, [submitting]);
  return actionData ?? kept;
}
