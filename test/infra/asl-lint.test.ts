import { describe, expect, it } from 'vitest';
import { type AslProblemCode, lintAsl } from '#infra/asl-lint.ts';

/**
 * What this proves: each house rule of the ASL lint fires on a definition that breaks it, and only
 * that rule fires. The error names are a fixture here so these cases do not depend on the domain.
 */
const errorNames = ['OverRefundError', 'TransientError'];

/** A small definition that passes every rule; each case breaks one thing in a copy of it. */
function validDefinition() {
  return {
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL definition substitution, not a template literal
        Parameters: { FunctionName: '${WorkFunctionArn}', 'Payload.$': '$' },
        TimeoutSeconds: 30,
        Retry: [
          {
            ErrorEquals: ['Lambda.ServiceException', 'TransientError', 'States.Timeout'],
            IntervalSeconds: 1,
            MaxAttempts: 3,
            BackoffRate: 2,
            JitterStrategy: 'FULL',
          },
        ],
        Catch: [
          { ErrorEquals: ['OverRefundError'], ResultPath: '$.conflict', Next: 'Failed' },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' },
        ],
        Next: 'Check',
      },
      Check: {
        Type: 'Choice',
        Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Done' }],
        Default: 'Failed',
      },
      Done: { Type: 'Succeed' },
      Failed: { Type: 'Fail', Error: 'Failed' },
    },
  };
}

type Definition = ReturnType<typeof validDefinition>;

function codesOf(definition: unknown): AslProblemCode[] {
  return lintAsl(definition, { errorNames }).map((p) => p.code);
}

describe('lintAsl', () => {
  it('accepts a definition that follows every rule', () => {
    // arrange
    const definition = validDefinition();

    // act
    const problems = lintAsl(definition, { errorNames });

    // assert
    expect(problems).toEqual([]);
  });

  const cases: ReadonlyArray<{ name: string; code: AslProblemCode; path: string; breakIt: (d: Definition) => unknown }> = [
    {
      name: 'QueryLanguage at the top level',
      code: 'query-language',
      path: 'QueryLanguage',
      breakIt: (d) => ({ QueryLanguage: 'JSONata', ...d }),
    },
    {
      name: 'QueryLanguage on a state',
      code: 'query-language',
      path: 'States.Done.QueryLanguage',
      breakIt: (d) => {
        Object.assign(d.States.Done, { QueryLanguage: 'JSONPath' });
        return d;
      },
    },
    {
      name: 'Assign (workflow variables)',
      code: 'assign',
      path: 'States.Work.Assign',
      breakIt: (d) => {
        Object.assign(d.States.Work, { Assign: { attempt: 1 } });
        return d;
      },
    },
    {
      name: 'a JSONata expression',
      code: 'jsonata-expression',
      path: 'States.Work.Parameters.Payload.$',
      breakIt: (d) => {
        d.States.Work.Parameters['Payload.$'] = '{% $states.input %}';
        return d;
      },
    },
    {
      name: 'a Task without TimeoutSeconds or TimeoutSecondsPath',
      code: 'task-timeout',
      path: 'States.Work',
      breakIt: (d) => {
        const { TimeoutSeconds: _, ...work } = d.States.Work;
        return { ...d, States: { ...d.States, Work: work } };
      },
    },
    {
      name: 'a Task without Retry',
      code: 'task-retry',
      path: 'States.Work',
      breakIt: (d) => {
        const { Retry: _, ...work } = d.States.Work;
        return { ...d, States: { ...d.States, Work: work } };
      },
    },
    {
      name: 'a retrier without JitterStrategy FULL',
      code: 'retry-jitter',
      path: 'States.Work.Retry[0]',
      breakIt: (d) => {
        Object.assign(d.States.Work.Retry[0] as object, { JitterStrategy: 'NONE' });
        return d;
      },
    },
    {
      name: 'a retrier without BackoffRate',
      code: 'retry-backoff',
      path: 'States.Work.Retry[0]',
      breakIt: (d) => {
        delete (d.States.Work.Retry[0] as { BackoffRate?: number }).BackoffRate;
        return d;
      },
    },
    {
      name: 'a Task without Catch',
      code: 'task-catch',
      path: 'States.Work',
      breakIt: (d) => {
        const { Catch: _, ...work } = d.States.Work;
        return { ...d, States: { ...d.States, Work: work } };
      },
    },
    {
      name: 'a Catch naming an error nobody throws',
      code: 'unknown-error',
      path: 'States.Work.Catch[0].ErrorEquals[0]',
      breakIt: (d) => {
        d.States.Work.Catch[0] = { ...d.States.Work.Catch[0], ErrorEquals: ['OverRefund'] } as never;
        return d;
      },
    },
    {
      name: 'a Retry naming a misspelt States error',
      code: 'unknown-error',
      path: 'States.Work.Retry[0].ErrorEquals[2]',
      breakIt: (d) => {
        d.States.Work.Retry[0] = {
          ...d.States.Work.Retry[0],
          ErrorEquals: ['Lambda.ServiceException', 'TransientError', 'States.Timout'],
        } as never;
        return d;
      },
    },
    {
      name: 'a Next that names no state',
      code: 'missing-target',
      path: 'States.Work.Next',
      breakIt: (d) => {
        d.States.Work.Next = 'Chek';
        // Check is now unreachable as well; restore a path to it so only the target problem shows
        d.States.Work.Catch[1] = { ...d.States.Work.Catch[1], Next: 'Check' } as never;
        return d;
      },
    },
    {
      name: 'a Default that names no state',
      code: 'missing-target',
      path: 'States.Check.Default',
      breakIt: (d) => {
        d.States.Check.Default = 'Faild';
        return d;
      },
    },
    {
      name: 'a Catch that names no state',
      code: 'missing-target',
      path: 'States.Work.Catch[0].Next',
      breakIt: (d) => {
        d.States.Work.Catch[0] = { ...d.States.Work.Catch[0], Next: 'Nowhere' } as never;
        return d;
      },
    },
    {
      name: 'a StartAt that names no state',
      code: 'missing-target',
      path: 'StartAt',
      breakIt: (d) => ({ ...d, StartAt: 'Begin' }),
    },
    {
      name: 'a state nothing leads to',
      code: 'unreachable-state',
      path: 'States.Orphan',
      breakIt: (d) => ({ ...d, States: { ...d.States, Orphan: { Type: 'Succeed' } } }),
    },
  ];

  for (const { name, code, path, breakIt } of cases) {
    it(`reports ${code} for ${name}`, () => {
      // arrange
      const definition = breakIt(validDefinition());

      // act
      const problems = lintAsl(definition, { errorNames });

      // assert — exactly the one broken rule, at the place it is broken
      expect(problems.map((p) => ({ code: p.code, path: p.path }))).toEqual([{ code, path }]);
      expect(problems[0]?.message).toContain(path.split('.').slice(0, 2).join('.'));
    });
  }

  it('lints the states inside Parallel branches too', () => {
    // arrange
    const inner = validDefinition();
    const { Catch: _, ...work } = inner.States.Work;
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [{ ...inner, States: { ...inner.States, Work: work } }],
          End: true,
        },
      },
    };

    // act
    const problems = lintAsl(definition, { errorNames });

    // assert
    expect(problems.map((p) => ({ code: p.code, path: p.path }))).toEqual([
      { code: 'task-catch', path: 'States.Both.Branches[0].States.Work' },
    ]);
  });

  it('reports each problem once per place when several rules are broken', () => {
    // arrange
    const d = validDefinition();
    Object.assign(d.States.Work, { Assign: { x: 1 } });
    d.States.Check.Default = 'Nowhere';

    // act
    const codes = codesOf(d);

    // assert
    expect(codes.sort()).toEqual(['assign', 'missing-target']);
  });
});
