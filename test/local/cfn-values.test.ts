import { CfnValueError, evaluateConditions, resolveCfn } from '../../lib/local/cfn-values';

const context = {
  region: 'us-east-1',
  account: '123456789012',
  conditions: { HasKmsKey: false },
  parameters: { WorkteamArn: 'arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/t' },
  resources: {
    WorkQueue: { ref: 'http://127.0.0.1:1/123456789012/work', attributes: { Arn: 'arn:aws:sqs:us-east-1:123456789012:work', QueueName: 'work' } },
    PayloadBucket: { ref: 'payloads', attributes: { Arn: 'arn:aws:s3:::payloads' } },
  },
};

describe('resolveCfn', () => {
  it('evaluates Ref, GetAtt (both forms), Sub with resources, attributes, pseudo parameters and variables', () => {
    // Act
    const value = resolveCfn(
      {
        a: { Ref: 'WorkQueue' },
        b: { 'Fn::GetAtt': ['WorkQueue', 'Arn'] },
        c: { 'Fn::GetAtt': 'PayloadBucket.Arn' },
        d: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${PayloadBucket}/*' },
        e: { 'Fn::Sub': '${PayloadBucket.Arn}/${AWS::Region}/${AWS::AccountId}/${!Literal}' },
        f: { 'Fn::Sub': ['${X}-${AWS::URLSuffix}', { X: { Ref: 'WorkteamArn' } }] },
      },
      context,
    );

    // Assess
    expect(value).toEqual({
      a: 'http://127.0.0.1:1/123456789012/work',
      b: 'arn:aws:sqs:us-east-1:123456789012:work',
      c: 'arn:aws:s3:::payloads',
      d: 'arn:aws:s3:::payloads/*',
      e: 'arn:aws:s3:::payloads/us-east-1/123456789012/${Literal}',
      f: 'arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/t-amazonaws.com',
    });
  });

  it('takes the branch of Fn::If its condition selects and drops AWS::NoValue from objects and lists', () => {
    const value = resolveCfn(
      {
        Statement: [{ 'Fn::If': ['HasKmsKey', { Sid: 'Key' }, { Ref: 'AWS::NoValue' }] }, { Sid: 'Other' }],
        KmsMasterKeyId: { 'Fn::If': ['HasKmsKey', 'key', { Ref: 'AWS::NoValue' }] },
        Joined: { 'Fn::Join': ['-', ['a', { 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y'] }] }]] },
      },
      context,
    );

    expect(value).toEqual({ Statement: [{ Sid: 'Other' }], Joined: 'a-y' });
  });

  it.each([
    [{ Ref: 'Missing' }, /Ref Missing/],
    [{ 'Fn::GetAtt': ['WorkQueue', 'Nope'] }, /WorkQueue\.Nope/],
    [{ 'Fn::Sub': '${Missing.Arn}' }, /Missing\.Arn/],
    [{ 'Fn::If': ['Unknown', 1, 2] }, /condition Unknown/],
    [{ 'Fn::ImportValue': 'x' }, /Fn::ImportValue/],
  ])('refuses what the local stack cannot know: %j', (value, message) => {
    expect(() => resolveCfn({ Resource: value }, context)).toThrow(CfnValueError);
    expect(() => resolveCfn({ Resource: value }, context)).toThrow(message);
  });

  it('evaluates a template\'s conditions over its parameters', () => {
    const conditions = evaluateConditions(
      {
        HasKmsKey: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'KmsKeyArn' }, ''] }] },
        HasTeam: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'WorkteamArn' }, ''] }] },
        Both: { 'Fn::And': [{ 'Fn::Equals': ['a', 'a'] }, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'KmsKeyArn' }, ''] }] }] },
        Either: { 'Fn::Or': [{ 'Fn::Equals': ['a', 'b'] }, { 'Fn::Equals': [{ Ref: 'KmsKeyArn' }, ''] }] },
      },
      { ...context, parameters: { ...context.parameters, KmsKeyArn: '' } },
    );

    expect(conditions).toEqual({ HasKmsKey: false, HasTeam: true, Both: false, Either: true });
  });
});
