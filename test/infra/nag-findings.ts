import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** One `Validations.of(…).acknowledge()` in a tree: the construct's path, the rule ID, the reason. */
export interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

/** Every `Validations.of(…).acknowledge()` in the tree below `root` (itself included). */
export function acknowledgementsOf(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

/** What cdk-nag's AwsSolutions pack finds unacknowledged in the app: each rule and where. */
export const nagFindingsOf = (app: App) =>
  new AwsSolutionsChecks(app).validateScope(app).violations.map((violation) => ({
    rule: violation.ruleName,
    resources: violation.violatingResources.map((resource) => resource.resourceLogicalId),
  }));
