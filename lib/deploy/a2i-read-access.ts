import { type Cfn, ref, sub } from './cfn';
import type { StackFacts } from './stack-model';

/**
 * What A2I's role may read besides the stack's own input and payload buckets: the documents worker templates
 * open with grant_read_access (a workflow's `input.readAccess`). A2I signs those links with the flow
 * definition's role, so a document the role cannot read is a broken link for the reviewer.
 */
export function a2iReadAccess(facts: StackFacts): Record<string, unknown> {
  const locations = [...new Set(facts.workflows.flatMap(({ definition }) => definition.input.readAccess ?? []))].sort();
  if (locations.length === 0) return {};
  return {
    A2iTemplateInputsPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'a2i-template-inputs',
        Roles: [ref('A2iRole')],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Sid: 'TemplateInputs', Effect: 'Allow', Action: ['s3:GetObject'], Resource: locations.map(objectArnPattern) }],
        },
      },
    },
  };
}

/** `s3://bucket/prefix` → every object under it; `s3://bucket` or `s3://bucket/` → every object of the bucket. */
function objectArnPattern(location: string): Cfn {
  const [, bucket, prefix = ''] = /^s3:\/\/([^/]+)(?:\/(.*))?$/s.exec(location) ?? [];
  if (!bucket) throw new RangeError(`not an s3:// location: ${location}`);
  // Fn::Sub would read `${` in a key as a variable; `${!` writes it literally.
  return sub(`arn:\${AWS::Partition}:s3:::${bucket}/${prefix.replaceAll('${', '${!')}*`);
}
