import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { BackupPlan, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { secretNames } from '#adapters/secret-names.ts';
import { ledgerTableSchema, stateTableSchema } from '#adapters/table-schema.ts';

/**
 * Data-plane actions that change or remove an existing item. The ledger's resource policy denies
 * them to every principal; `PutItem` stays possible because appending is how the ledger grows
 * (writers use `attribute_not_exists` so a put never overwrites an entry).
 */
export const ledgerMutatingActions = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;

/** The secrets of a deployment (functions/adapters/secrets.ts). */
export interface MakegoodSecrets {
  /** Every secret's name starts with `<prefix>/`. */
  readonly prefix: string;
  readonly approvalKeys: Secret;
  readonly financeKey: Secret;
}

/** Properties of {@link MakegoodStatefulStack}. */
export interface MakegoodStatefulStackProps extends StackProps {}

/**
 * Everything makegood must never lose: the append-only ledger, the operational state table and the
 * secrets. It changes rarely and is deployed separately from the functions, so a bad
 * function deployment can be rolled back without touching data.
 *
 * Encryption: both tables use the AWS-managed KMS key (`aws/dynamodb`) rather than a
 * customer-managed key. Data is KMS-encrypted at rest and every use of the key is in CloudTrail
 * either way; a customer-managed key would add a key policy to maintain, kms grants on every role,
 * and a way to make a retained ledger unreadable (a disabled or deleted key) — a worse risk for an
 * audit record than the separation of duties it buys. Switch to `TableEncryption.CUSTOMER_MANAGED`
 * if finance requires key-level access control.
 */
export class MakegoodStatefulStack extends Stack {
  /** Append-only ledger of claim events and money postings; see `ledgerTableSchema`. */
  readonly ledger: Table;
  /** Operational items that do change: idempotency records, order totals, policies, tokens. */
  readonly state: Table;
  /**
   * The secrets, one per concern, under one name prefix (functions/adapters/secrets.ts): the
   * approval keys and the finance key are generated at deploy time; each storefront's secret is
   * made by `npx makegood storefront add`, named `<prefix>/storefronts/<id>`.
   */
  readonly secrets: MakegoodSecrets;
  /** Long-term copies of the ledger (AWS Backup). */
  readonly ledgerBackups: BackupPlan;

  constructor(scope: Construct, id: string, props: MakegoodStatefulStackProps = {}) {
    super(scope, id, props);

    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryption.AWS_MANAGED,
      // Deleting the stack must never delete the ledger or the order totals that guard it.
      removalPolicy: RemovalPolicy.RETAIN,
    } as const;

    this.ledger = new Table(this, 'LedgerTable', {
      ...common,
      // Defence in depth for "an entry is never updated or deleted": IAM grants only cover roles
      // this app creates; this Deny also binds administrators. Lifting it means changing this
      // policy, which CloudTrail records.
      resourcePolicy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'LedgerIsAppendOnly',
            effect: Effect.DENY,
            principals: [new AnyPrincipal()],
            actions: [...ledgerMutatingActions],
            // The table's own ARN would be a circular reference; in a table's policy `*` means this table.
            resources: ['*'],
          }),
        ],
      }),
      partitionKey: { name: ledgerTableSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: ledgerTableSchema.sortKey, type: AttributeType.STRING },
      // New entries wake the webhook dispatcher within a second: the stream names the storefront
      // whose lane to run (the dispatcher then reads the outbox, not the stream).
      stream: StreamViewType.NEW_IMAGE,
    });
    for (const [indexName, index] of Object.entries(ledgerTableSchema.indexes)) {
      this.ledger.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        // Finance exports and customer history read whole entries; a narrower projection would
        // force a second read per entry.
        projectionType: ProjectionType.ALL,
      });
    }

    this.state = new Table(this, 'StateTable', {
      ...common,
      partitionKey: { name: stateTableSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: stateTableSchema.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: stateTableSchema.ttlAttribute,
    });
    for (const [indexName, index] of Object.entries(stateTableSchema.indexes)) {
      this.state.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        // Sparse: only webhook events still pending or failed carry its keys.
        projectionType: ProjectionType.ALL,
      });
    }

    // PITR restores any second of the last 35 days, to a new table. Finance keeps its records for
    // years, and an audit must be able to see the ledger as it was long ago: AWS Backup keeps
    // daily (35 days), weekly (3 months) and monthly (7 years) copies of the ledger, in a vault
    // whose lock refuses to delete a copy younger than 35 days. The state table is operational
    // (keys, totals, tokens, the outbox): PITR covers it.
    const vault = new BackupVault(this, 'LedgerBackupVault', {
      removalPolicy: RemovalPolicy.RETAIN,
      lockConfiguration: { minRetention: Duration.days(35) },
    });
    this.ledgerBackups = BackupPlan.dailyWeeklyMonthly7YearRetention(this, 'LedgerBackupPlan', vault);
    const selection = this.ledgerBackups.addSelection('Ledger', { resources: [BackupResource.fromDynamoDbTable(this.ledger)] });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        "AWS Backup's own service-role policy, which AWS keeps in step with the calls the service makes; a hand-written " +
        'copy would make backups fail silently the day the service needs one more. Only AWS Backup can assume this role.',
    });

    const prefix = `makegood/${this.stackName}`;
    // CloudFormation generates one string per secret, at a top-level field: the approval keys
    // document keeps its keys at the top level for that reason (`{"current":"k1","k1":"…"}`).
    const generated = (id: string, name: string, description: string, template: object, field: string) => {
      const secret = new Secret(this, id, {
        secretName: `${prefix}/${name}`,
        description,
        generateSecretString: {
          secretStringTemplate: JSON.stringify(template),
          generateStringKey: field,
          // URL- and header-safe, so the key can be pasted into any tool without quoting.
          excludePunctuation: true,
          passwordLength: 64,
        },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotation keeps the old key valid until every token or call it signed has expired, which Secrets ' +
          "Manager's rotation (one previous version, then gone) cannot express: `npx makegood keys rotate-approval` " +
          'and `npx makegood storefront rotate-secret` rotate with a grace period instead (README, "Onboarding a storefront and rotating its secrets").',
      });
      return secret;
    };
    this.secrets = {
      prefix,
      approvalKeys: generated(
        'ApprovalKeys',
        secretNames.approvalKeys,
        'makegood approval keys: seal approval links, status links and console sessions (key ids k1, k2, …)',
        { current: 'k1' },
        'k1',
      ),
      financeKey: generated('FinanceKey', secretNames.financeKey, 'makegood finance API key (Authorization: Bearer)', {}, 'key'),
    };

    new CfnOutput(this, 'LedgerTableName', { description: 'The append-only ledger (MAKEGOOD_LEDGER_TABLE)', value: this.ledger.tableName });
    new CfnOutput(this, 'StateTableName', { description: 'Operational state (MAKEGOOD_STATE_TABLE)', value: this.state.tableName });
    new CfnOutput(this, 'SecretsPrefix', {
      description: 'The name prefix of every makegood secret (MAKEGOOD_SECRETS_PREFIX)',
      value: prefix,
    });
    new CfnOutput(this, 'FinanceKeySecretArn', {
      description: 'The finance API key (its field `key`)',
      value: this.secrets.financeKey.secretArn,
    });
  }
}
