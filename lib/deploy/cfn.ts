/** CloudFormation's intrinsic functions, as plain objects for a template. */

export type Cfn = unknown;

export const ref = (logicalId: string): Cfn => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string): Cfn => ({ 'Fn::GetAtt': [logicalId, attribute] });
export const sub = (text: string): Cfn => ({ 'Fn::Sub': text });
export const ifCondition = (condition: string, then: Cfn, otherwise: Cfn): Cfn => ({ 'Fn::If': [condition, then, otherwise] });
export const NO_VALUE: Cfn = { Ref: 'AWS::NoValue' };

/** An ARN in this stack's partition, region and account: `arn(sagemaker, 'flow-definition/x')`. */
export function arn(service: string, resource: string, options: { region?: boolean; account?: boolean } = {}): Cfn {
  const region = options.region === false ? '' : '${AWS::Region}';
  const account = options.account === false ? '' : '${AWS::AccountId}';
  return sub(`arn:\${AWS::Partition}:${service}:${region}:${account}:${resource}`);
}

/** `invoice-extraction` → `InvoiceExtraction`: logical ids are alphanumeric. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** The logical id serverless gives a function's resource: `ingestWork` → `IngestWorkLambdaFunction`. */
export const functionLogicalId = (functionName: string): string => `${functionName[0].toUpperCase()}${functionName.slice(1)}LambdaFunction`;
