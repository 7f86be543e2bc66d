/**
 * Helpers for reading IAM out of synthesized templates: every Allow statement of every policy,
 * with cross-stack references replaced by what they point at, so a test can ask "which table is
 * this?" of a resource that only says `Fn::GetStackOutput`.
 */

/** A synthesized CloudFormation template, as `Template.toJSON()` returns it. */
export type TemplateJson = {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name?: unknown } }>;
};

/** One policy statement, flattened: the role(s) it is attached to and its lists. */
export interface FoundStatement {
  /** `<stack>/<logical id>` of the policy or role that holds the statement. */
  readonly source: string;
  /** Logical ids of the roles the policy is attached to (same stack). */
  readonly roles: readonly string[];
  readonly effect: string;
  readonly actions: readonly string[];
  /** Resources with cross-stack references resolved to `{ CrossStack: { stack, value } }`. */
  readonly resources: readonly unknown[];
  /** True if the statement uses NotAction or NotResource, which these checks cannot bound. */
  readonly negated: boolean;
}

const asArray = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Replaces `Fn::GetStackOutput` and `Fn::ImportValue` with the producing output's value, wrapped
 * as `{ CrossStack: { stack, value } }` so its logical ids are not confused with the consumer's.
 */
export function resolveCrossStack(value: unknown, templates: Readonly<Record<string, TemplateJson>>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveCrossStack(v, templates));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  const getStackOutput = record['Fn::GetStackOutput'] as { StackName?: unknown; OutputName?: unknown } | undefined;
  if (getStackOutput !== undefined && typeof getStackOutput.StackName === 'string') {
    const producer = templates[getStackOutput.StackName];
    const output = producer?.Outputs?.[String(getStackOutput.OutputName)];
    if (output === undefined) throw new Error(`Unresolvable ${JSON.stringify(value)}`);
    return { CrossStack: { stack: getStackOutput.StackName, value: output.Value } };
  }
  const importValue = record['Fn::ImportValue'];
  if (typeof importValue === 'string') {
    for (const [stack, template] of Object.entries(templates)) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export?.Name === importValue) return { CrossStack: { stack, value: output.Value } };
      }
    }
    throw new Error(`Unresolvable ${JSON.stringify(value)}`);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolveCrossStack(v, templates)]));
}

/** Every statement of every IAM policy (standalone, managed and inline) in `templates`. */
export function policyStatements(templates: Readonly<Record<string, TemplateJson>>): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [stack, template] of Object.entries(templates)) {
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      const props = resource.Properties ?? {};
      const documents: Array<{ doc: unknown; roles: unknown }> = [];
      if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
        documents.push({ doc: props.PolicyDocument, roles: props.Roles });
      } else if (resource.Type === 'AWS::IAM::Role') {
        for (const inline of asArray(props.Policies)) {
          documents.push({ doc: (inline as { PolicyDocument?: unknown }).PolicyDocument, roles: [{ Ref: id }] });
        }
      } else {
        continue;
      }
      for (const { doc, roles } of documents) {
        for (const raw of asArray((doc as { Statement?: unknown } | undefined)?.Statement)) {
          const s = raw as Record<string, unknown>;
          found.push({
            source: `${stack}/${id}`,
            roles: asArray(roles).map((r) => String((r as { Ref?: unknown }).Ref)),
            effect: String(s.Effect),
            actions: asArray(s.Action).map(String),
            resources: asArray(s.Resource).map((r) => resolveCrossStack(r, templates)),
            negated: s.NotAction !== undefined || s.NotResource !== undefined,
          });
        }
      }
    }
  }
  return found;
}

/** Whether an IAM action pattern (`dynamodb:*`, `*`, `dynamodb:Update?tem`) covers `action`. */
export function actionCovers(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(action);
}

/** Whether `value` contains a `Ref` or `Fn::GetAtt` of `logicalId`, reached across stacks from `stack`. */
export function refersTo(value: unknown, target: { readonly stack: string; readonly logicalId: string }, inStack: string): boolean {
  if (Array.isArray(value)) return value.some((v) => refersTo(v, target, inStack));
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const cross = record.CrossStack as { stack: string; value: unknown } | undefined;
  if (cross !== undefined) return refersTo(cross.value, target, cross.stack);
  if (inStack === target.stack) {
    if (record.Ref === target.logicalId) return true;
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt) && getAtt[0] === target.logicalId) return true;
  }
  return Object.values(record).some((v) => refersTo(v, target, inStack));
}

/**
 * Whether a resource could match a DynamoDB table it does not name: `*`, or a literal ARN
 * pattern with a wildcard table.
 */
export function isTableWildcard(resource: unknown): boolean {
  if (resource === '*') return true;
  const text = JSON.stringify(resource);
  return text.includes('dynamodb') && /table\/\*|:\*/.test(text);
}
