// "What runs where" as the pages receive it (read by releases.server.ts from each environment's
// promotions), and the Promote modal's answers. Types only, so browser components and server
// modules share them.
import type { Environment, Problem } from '../../../contracts/index.ts';
import type { Promotion, PromotionPreview } from '../../../contracts/promotions.ts';

/** What runs in one environment and what is on its way there. */
export interface EnvironmentDeployment {
  environment: string;
  position: number;
  status: Environment['status'];
  /** Roles that may promote into it (its protection). */
  deployRoles: string[];
  /** The last promotion that succeeded there: its release runs there now. */
  current: Promotion | null;
  /** A promotion still under way (requested, awaiting approval, held, deploying). */
  open: Promotion | null;
  /** The newest promotion when it ended without success (rolled back, failed, rejected). */
  lastFailed: Promotion | null;
  /** Whether the promotions could be read (false: the page says so instead of "nothing"). */
  known: boolean;
}

/** The preview resource route's answer. */
export interface PreviewAnswer {
  preview: PromotionPreview | null;
  problem: Problem | null;
}

/** The Releases page action's answer to a promotion that did not start (a start redirects). */
export interface PromoteAnswer {
  intent: 'promote';
  problem: Problem | null;
  fieldErrors: Record<string, string>;
}
