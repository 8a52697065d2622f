import { EXAMPLE_ESTATE } from '../../examples/existing-estate/estate';
import { TEST_HOSTED_ZONE, type ContextValue } from './synth-app';

/**
 * The context keys that adopt each part of the example estate, as `-c key=value` gives them
 * (lists comma-separated), so the app's own parsing is what the tests exercise.
 */
export const ADOPT_CONTEXT = {
  userPool: { existingUserPoolId: EXAMPLE_ESTATE.userPoolId },
  network: {
    existingVpcId: EXAMPLE_ESTATE.vpcId,
    availabilityZones: EXAMPLE_ESTATE.availabilityZones.join(','),
    publicSubnetIds: EXAMPLE_ESTATE.publicSubnetIds.join(','),
    privateSubnetIds: EXAMPLE_ESTATE.privateSubnetIds.join(','),
    natEgressIps: EXAMPLE_ESTATE.natEgressIps.join(','),
  },
  database: {
    existingDatabaseSecretArn: EXAMPLE_ESTATE.databaseSecretArn,
    databaseSecurityGroupId: EXAMPLE_ESTATE.databaseSecurityGroupId,
  },
} as const;

export type Part = keyof typeof ADOPT_CONTEXT;

export interface AdoptionMode {
  name: string;
  /** The parts this mode adopts; the others are created. */
  adopted: readonly Part[];
  context: Record<string, ContextValue>;
}

const mode = (name: string, adopted: readonly Part[]): AdoptionMode => ({
  name,
  adopted,
  context: Object.assign({ ...TEST_HOSTED_ZONE }, ...adopted.map((part) => ADOPT_CONTEXT[part])),
});

/** The five modes issue 17 names: everything created (the default), each part alone, all three. */
export const ADOPTION_MODES: readonly AdoptionMode[] = [
  mode('all created', []),
  mode('pool adopted', ['userPool']),
  mode('VPC adopted', ['network']),
  mode('database adopted', ['database']),
  mode('all three adopted', ['userPool', 'network', 'database']),
];

/** The adopted modes only. */
export const ADOPTED_MODES = ADOPTION_MODES.filter((adoption) => adoption.adopted.length > 0);
