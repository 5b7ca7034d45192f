// Every migration, registered explicitly and in order (no directory globbing).
import { CreateTenants1763770000000 } from './1763770000000-CreateTenants.ts';
import { CreateIdempotencyKeys1763770100000 } from './1763770100000-CreateIdempotencyKeys.ts';
import { CreateUsers1763770200000 } from './1763770200000-CreateUsers.ts';
import { CreateAppRole1763780000000 } from './1763780000000-CreateAppRole.ts';
import { CreateAuditLog1763780100000 } from './1763780100000-CreateAuditLog.ts';
import { CreateRefreshTokens1763790000000 } from './1763790000000-CreateRefreshTokens.ts';
import { CreateMemberships1763800000000 } from './1763800000000-CreateMemberships.ts';
import { CreateLocalSecretStore1763810000000 } from './1763810000000-CreateLocalSecretStore.ts';
import { CreateLocalBilling1763810100000 } from './1763810100000-CreateLocalBilling.ts';
import { CreateApiKeys1763820000000 } from './1763820000000-CreateApiKeys.ts';
import { CreateAccountTokens1763830000000 } from './1763830000000-CreateAccountTokens.ts';
import { CreateInvitations1763850000000 } from './1763850000000-CreateInvitations.ts';
import { CreateSso1763860000000 } from './1763860000000-CreateSso.ts';
import { CreateTenantProvisioning1763870000000 } from './1763870000000-CreateTenantProvisioning.ts';
import { CreateTenantSuspensions1763880000000 } from './1763880000000-CreateTenantSuspensions.ts';
import { AddTenantApproval1763890000000 } from './1763890000000-AddTenantApproval.ts';
import { CreateTenantOffboarding1763895000000 } from './1763895000000-CreateTenantOffboarding.ts';
import { OrderAuditChainByLock1763900000000 } from './1763900000000-OrderAuditChainByLock.ts';
import { IndexTenantsByCreation1763910000000 } from './1763910000000-IndexTenantsByCreation.ts';
import { CreateEventOutbox1763920000000 } from './1763920000000-CreateEventOutbox.ts';
import { CreateWebhookEndpoints1763930000000 } from './1763930000000-CreateWebhookEndpoints.ts';
import { CreatePendingSignups1763930500000 } from './1763930500000-CreatePendingSignups.ts';
import { CreateWebhookDeliveries1763940000000 } from './1763940000000-CreateWebhookDeliveries.ts';
import { CreateAccessCheckFunctions1763990000000 } from './1763990000000-CreateAccessCheckFunctions.ts';
import { AddWebhookDeliveryKinds1764000000000 } from './1764000000000-AddWebhookDeliveryKinds.ts';
import { CreateWebhookEndpointNotices1764100000000 } from './1764100000000-CreateWebhookEndpointNotices.ts';
import { CreateApprovals1764200000000 } from './1764200000000-CreateApprovals.ts';
import { CreateBilling1764300000000 } from './1764300000000-CreateBilling.ts';
import { CreateConnectors1764400000000 } from './1764400000000-CreateConnectors.ts';
import { CreateTenantSecrets1764600000000 } from './1764600000000-CreateTenantSecrets.ts';
import { AddOperatorRoles1764700000000 } from './1764700000000-AddOperatorRoles.ts';
import { AddConnectionMaintenance1764800000000 } from './1764800000000-AddConnectionMaintenance.ts';
import { CreateConnectorSyncs1764900000000 } from './1764900000000-CreateConnectorSyncs.ts';
import { CreateSecretRotations1765000000000 } from './1765000000000-CreateSecretRotations.ts';
import { CreatePlanChanges1765200000000 } from './1765200000000-CreatePlanChanges.ts';
import { AddSuspensionPausedSchedules1765210000000 } from './1765210000000-AddSuspensionPausedSchedules.ts';
import { CreateTenantEnvironments1765300000000 } from './1765300000000-CreateTenantEnvironments.ts';
import { CreateApprovalDelegations1765310000000 } from './1765310000000-CreateApprovalDelegations.ts';
import { CreateTenantRateWindows1765320000000 } from './1765320000000-CreateTenantRateWindows.ts';
import { CreateUsageEvents1765330000000 } from './1765330000000-CreateUsageEvents.ts';
import { CreateReleases1765340000000 } from './1765340000000-CreateReleases.ts';
import { CreatePromotions1765340000001 } from './1765340000001-CreatePromotions.ts';
import { HoldPromotions1765350000000 } from './1765350000000-HoldPromotions.ts';
import { CreateMeteringReconciliation1765370000000 } from './1765370000000-CreateMeteringReconciliation.ts';
import { PruneReconciledUsageEvents1765380000000 } from './1765380000000-PruneReconciledUsageEvents.ts';
import { CreateApiProcesses1765390000000 } from './1765390000000-CreateApiProcesses.ts';
import { AddPlanChangeApproval1765410000000 } from './1765410000000-AddPlanChangeApproval.ts';
import { AddTenantOwnerRoles1765420000000 } from './1765420000000-AddTenantOwnerRoles.ts';
import { CreateSecretApprovals1765450000000 } from './1765450000000-CreateSecretApprovals.ts';
import { CreateDatabaseLoginPolicies1765460000000 } from './1765460000000-CreateDatabaseLoginPolicies.ts';
import { CreateSigningKeyPolicies1765480000000 } from './1765480000000-CreateSigningKeyPolicies.ts';
import { CreateSecretKindRotationPolicies1765500000000 } from './1765500000000-CreateSecretKindRotationPolicies.ts';
import { IndexUsageEventsByTime1765510000000 } from './1765510000000-IndexUsageEventsByTime.ts';
import { CacheAccessCheckPlans1765520000000 } from './1765520000000-CacheAccessCheckPlans.ts';
import { SerializeTenantConnectGrants1765530000000 } from './1765530000000-SerializeTenantConnectGrants.ts';
import { FoldApiKeyIntoAccessCheck1765540000000 } from './1765540000000-FoldApiKeyIntoAccessCheck.ts';

export const migrations = [
  CreateTenants1763770000000,
  CreateIdempotencyKeys1763770100000,
  CreateUsers1763770200000,
  CreateAppRole1763780000000,
  CreateAuditLog1763780100000,
  CreateRefreshTokens1763790000000,
  CreateMemberships1763800000000,
  CreateLocalSecretStore1763810000000,
  CreateLocalBilling1763810100000,
  CreateApiKeys1763820000000,
  CreateAccountTokens1763830000000,
  CreateInvitations1763850000000,
  CreateSso1763860000000,
  CreateTenantProvisioning1763870000000,
  CreateTenantSuspensions1763880000000,
  AddTenantApproval1763890000000,
  CreateTenantOffboarding1763895000000,
  OrderAuditChainByLock1763900000000,
  IndexTenantsByCreation1763910000000,
  CreateEventOutbox1763920000000,
  CreateWebhookEndpoints1763930000000,
  CreatePendingSignups1763930500000,
  CreateWebhookDeliveries1763940000000,
  CreateAccessCheckFunctions1763990000000,
  AddWebhookDeliveryKinds1764000000000,
  CreateWebhookEndpointNotices1764100000000,
  CreateApprovals1764200000000,
  CreateBilling1764300000000,
  CreateConnectors1764400000000,
  CreateTenantSecrets1764600000000,
  AddOperatorRoles1764700000000,
  AddConnectionMaintenance1764800000000,
  CreateConnectorSyncs1764900000000,
  CreateSecretRotations1765000000000,
  CreatePlanChanges1765200000000,
  AddSuspensionPausedSchedules1765210000000,
  CreateTenantEnvironments1765300000000,
  CreateApprovalDelegations1765310000000,
  CreateTenantRateWindows1765320000000,
  CreateUsageEvents1765330000000,
  CreateReleases1765340000000,
  CreatePromotions1765340000001,
  HoldPromotions1765350000000,
  CreateMeteringReconciliation1765370000000,
  PruneReconciledUsageEvents1765380000000,
  CreateApiProcesses1765390000000,
  AddPlanChangeApproval1765410000000,
  AddTenantOwnerRoles1765420000000,
  CreateSecretApprovals1765450000000,
  CreateDatabaseLoginPolicies1765460000000,
  CreateSigningKeyPolicies1765480000000,
  CreateSecretKindRotationPolicies1765500000000,
  IndexUsageEventsByTime1765510000000,
  CacheAccessCheckPlans1765520000000,
  SerializeTenantConnectGrants1765530000000,
  FoldApiKeyIntoAccessCheck1765540000000,
];
