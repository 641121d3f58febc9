import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, decide, decideAll, variablesFor } from '../../../src/access/evaluate.js';
import { parsePolicy, PolicyError } from '../../../src/access/policy.js';

const ARN = (name: string, created = 1700000000000, region = 'us-west-2', account = '123456789012') =>
  `arn:aws:kinesisvideo:${region}:${account}:stream/${name}/${created}`;

const compile = (doc: unknown, name = 'tester') => compilePolicy(parsePolicy(JSON.stringify(doc), 'test'), variablesFor(name));

/**
 * The example policies of the KVS developer guide, verbatim
 * (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/how-iam.html#how-iam-policies),
 * the AWS managed read-only policy, and the IoT camera policy of dg/how-iot.html.
 */
const GUIDE = {
  readOnlyAnyStream: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "kinesisvideo:Describe*",
                "kinesisvideo:Get*",
                "kinesisvideo:List*"
            ],
            "Resource": "*"
        }
    ]
}`,
  createAndWrite: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "kinesisvideo:CreateStream",
                "kinesisvideo:PutMedia"
            ],
            "Resource": "*"
        }
    ]
}`,
  fullAccess: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "kinesisvideo:*",
            "Resource": "*"
        }
    ]
}`,
  putMediaOneStream: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "kinesisvideo:PutMedia",
            "Resource": "arn:aws:kinesisvideo:us-west-2:123456789012:stream/your_stream/0123456789012"
        }
    ]
}`,
  iotCamera: `{
   "Version":"2012-10-17",
   "Statement":[
      {
          "Effect":"Allow",
          "Action":[
             "kinesisvideo:DescribeStream",
             "kinesisvideo:PutMedia",
             "kinesisvideo:TagStream",
             "kinesisvideo:GetDataEndpoint"
          ],
          "Resource":"arn:aws:kinesisvideo:*:*:stream/\${credentials-iot:ThingName}/*"
      }
   ]
}`,
};

describe('the KVS developer guide example policies parse and mean what the guide says', () => {
  it('read-only access to any stream: Describe*, Get*, List* on every stream, nothing that writes', () => {
    const p = compilePolicy(parsePolicy(GUIDE.readOnlyAnyStream, 'guide'), variablesFor('viewer'));
    for (const action of ['DescribeStream', 'GetMedia', 'GetHLSStreamingSessionURL', 'GetDASHStreamingSessionURL', 'GetClip', 'GetImages', 'GetDataEndpoint', 'ListFragments', 'ListTagsForStream', 'GetMediaForFragmentList']) {
      assert.equal(decide(p, `kinesisvideo:${action}`, ARN('any')), 'allow', action);
    }
    assert.equal(decide(p, 'kinesisvideo:ListStreams', '*'), 'allow');
    for (const action of ['PutMedia', 'CreateStream', 'DeleteStream', 'UpdateStream', 'TagStream', 'UpdateDataRetention']) {
      assert.equal(decide(p, `kinesisvideo:${action}`, ARN('any')), 'implicit-deny', action);
    }
  });

  it('create and write: CreateStream and PutMedia anywhere, no reading', () => {
    const p = compilePolicy(parsePolicy(GUIDE.createAndWrite, 'guide'), variablesFor('producer'));
    assert.equal(decide(p, 'kinesisvideo:CreateStream', 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/new/*'), 'allow');
    assert.equal(decide(p, 'kinesisvideo:PutMedia', ARN('any')), 'allow');
    assert.equal(decide(p, 'kinesisvideo:GetMedia', ARN('any')), 'implicit-deny');
    assert.equal(decide(p, 'kinesisvideo:DescribeStream', ARN('any')), 'implicit-deny');
  });

  it('full access: every action, every resource', () => {
    const p = compilePolicy(parsePolicy(GUIDE.fullAccess, 'guide'), variablesFor('admin'));
    for (const action of ['DeleteStream', 'PutMedia', 'ListStreams', 'GetClip']) assert.equal(decide(p, `kinesisvideo:${action}`, ARN('x')), 'allow');
    assert.equal(decide(p, 'kinesisvideo:ListStreams', '*'), 'allow');
  });

  it('PutMedia to one specific stream: that ARN only', () => {
    const p = compilePolicy(parsePolicy(GUIDE.putMediaOneStream, 'guide'), variablesFor('camera'));
    assert.equal(decide(p, 'kinesisvideo:PutMedia', 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/your_stream/0123456789012'), 'allow');
    assert.equal(decide(p, 'kinesisvideo:PutMedia', 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/your_stream/0123456789013'), 'implicit-deny');
    assert.equal(decide(p, 'kinesisvideo:PutMedia', 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/other/0123456789012'), 'implicit-deny');
    assert.equal(decide(p, 'kinesisvideo:GetMedia', 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/your_stream/0123456789012'), 'implicit-deny');
  });

  it("the IoT camera policy: a thing's credentials write only to the stream named after it", () => {
    const doc = parsePolicy(GUIDE.iotCamera, 'guide');
    const camera17 = compilePolicy(doc, variablesFor('camera-17'));
    assert.equal(decide(camera17, 'kinesisvideo:PutMedia', ARN('camera-17')), 'allow');
    assert.equal(decide(camera17, 'kinesisvideo:GetDataEndpoint', ARN('camera-17', 5, 'eu-west-1', '000000000000')), 'allow');
    assert.equal(decide(camera17, 'kinesisvideo:PutMedia', ARN('camera-18')), 'implicit-deny');
    assert.equal(decide(camera17, 'kinesisvideo:PutMedia', ARN('camera-170')), 'implicit-deny');
    assert.equal(decide(camera17, 'kinesisvideo:GetMedia', ARN('camera-17')), 'implicit-deny');
    // A principal without a thing name matches nothing.
    assert.equal(decide(compilePolicy(doc, variablesFor(undefined)), 'kinesisvideo:PutMedia', ARN('camera-17')), 'implicit-deny');
  });
});

describe('IAM evaluation', () => {
  it('an explicit Deny wins over any Allow, in either order', () => {
    const allowThenDeny = compile({ Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:*', Resource: '*' }, { Effect: 'Deny', Action: 'kinesisvideo:DeleteStream', Resource: ARN('keep') }] });
    const denyThenAllow = compile({ Statement: [{ Effect: 'Deny', Action: 'kinesisvideo:DeleteStream', Resource: ARN('keep') }, { Effect: 'Allow', Action: 'kinesisvideo:*', Resource: '*' }] });
    for (const p of [allowThenDeny, denyThenAllow]) {
      assert.equal(decide(p, 'kinesisvideo:DeleteStream', ARN('keep')), 'deny');
      assert.equal(decide(p, 'kinesisvideo:DeleteStream', ARN('other')), 'allow');
    }
  });

  it('wildcards: * and ? in resources (streams created later), case-insensitive actions, case-sensitive resources', () => {
    const p = compile({ Statement: { Effect: 'Allow', Action: 'KinesisVideo:putmedia', Resource: ['arn:aws:kinesisvideo:*:*:stream/cam-*/*', 'arn:aws:kinesisvideo:*:*:stream/door?/*'] } });
    assert.equal(decide(p, 'kinesisvideo:PutMedia', ARN('cam-1')), 'allow');
    assert.equal(decide(p, 'kinesisvideo:PutMedia', ARN('cam-999', Date.now())), 'allow');
    assert.equal(decide(p, 'kinesisvideo:PutMedia', ARN('door7')), 'allow');
    assert.equal(decide(p, 'kinesisvideo:PutMedia', ARN('door77')), 'implicit-deny');
    assert.equal(decide(p, 'kinesisvideo:PutMedia', ARN('CAM-1')), 'implicit-deny');
    assert.equal(decide(p, 'kinesisvideo:PutMedia', ARN('lobby')), 'implicit-deny');
    // Regex characters in a pattern are literal.
    const dots = compile({ Statement: { Effect: 'Allow', Action: 'kinesisvideo:GetMedia', Resource: 'arn:aws:kinesisvideo:*:*:stream/a.b/*' } });
    assert.equal(decide(dots, 'kinesisvideo:GetMedia', ARN('a.b')), 'allow');
    assert.equal(decide(dots, 'kinesisvideo:GetMedia', ARN('axb')), 'implicit-deny');
  });

  it('NotAction and NotResource', () => {
    const p = compile({
      Statement: [
        { Effect: 'Allow', NotAction: ['kinesisvideo:DeleteStream', 'kinesisvideo:Update*'], Resource: '*' },
        { Effect: 'Deny', Action: 'kinesisvideo:*', NotResource: 'arn:aws:kinesisvideo:*:*:stream/lab-*/*' },
      ],
    });
    assert.equal(decide(p, 'kinesisvideo:PutMedia', ARN('lab-1')), 'allow');
    assert.equal(decide(p, 'kinesisvideo:DeleteStream', ARN('lab-1')), 'implicit-deny');
    assert.equal(decide(p, 'kinesisvideo:UpdateDataRetention', ARN('lab-1')), 'implicit-deny');
    assert.equal(decide(p, 'kinesisvideo:PutMedia', ARN('prod-1')), 'deny');
  });

  it('ListStreams is evaluated against "*": a stream-scoped statement does not grant it', () => {
    const p = compile({ Statement: { Effect: 'Allow', Action: 'kinesisvideo:*', Resource: 'arn:aws:kinesisvideo:*:*:stream/cam-*/*' } });
    assert.equal(decide(p, 'kinesisvideo:ListStreams', '*'), 'implicit-deny');
  });

  it('an issued credential is the intersection of its policy and its issuer’s', () => {
    const issuer = compile({ Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:*', Resource: 'arn:aws:kinesisvideo:*:*:stream/cam-*/*' }, { Effect: 'Deny', Action: 'kinesisvideo:DeleteStream', Resource: '*' }] });
    const issued = compile({ Statement: { Effect: 'Allow', Action: '*', Resource: '*' } });
    assert.equal(decideAll([issued, issuer], 'kinesisvideo:PutMedia', ARN('cam-1')), 'allow');
    assert.equal(decideAll([issued, issuer], 'kinesisvideo:PutMedia', ARN('lobby')), 'implicit-deny');
    assert.equal(decideAll([issued, issuer], 'kinesisvideo:DeleteStream', ARN('cam-1')), 'deny');
  });

  it('policy variables exist only in Version 2012-10-17; ${*} is a literal star', () => {
    const old = compilePolicy(parsePolicy(JSON.stringify({ Version: '2008-10-17', Statement: { Effect: 'Allow', Action: 'kinesisvideo:GetMedia', Resource: 'arn:aws:kinesisvideo:*:*:stream/${aws:username}/*' } }), 't'), variablesFor('bob'));
    assert.equal(decide(old, 'kinesisvideo:GetMedia', ARN('bob')), 'implicit-deny');
    assert.equal(decide(old, 'kinesisvideo:GetMedia', 'arn:aws:kinesisvideo:r:a:stream/${aws:username}/1'), 'allow');
    const star = compile({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'kinesisvideo:GetMedia', Resource: 'arn:aws:kinesisvideo:*:*:stream/${aws:username}-${*}/*' } }, 'bob');
    assert.equal(decide(star, 'kinesisvideo:GetMedia', 'arn:aws:kinesisvideo:r:a:stream/bob-*/1'), 'allow');
    assert.equal(decide(star, 'kinesisvideo:GetMedia', ARN('bob-x')), 'implicit-deny');
  });

  it('actions of other services are accepted and never match a KVS action', () => {
    const p = compile({ Statement: { Effect: 'Allow', Action: ['s3:GetObject', 'cognito-sync:*'], Resource: '*' } });
    assert.equal(decide(p, 'kinesisvideo:GetMedia', ARN('x')), 'implicit-deny');
  });
});

describe('malformed policies are refused with the statement named', () => {
  const refuses = (doc: unknown, message: RegExp) =>
    assert.throws(() => parsePolicy(typeof doc === 'string' ? doc : JSON.stringify(doc), 'cam.json'), (err: unknown) => err instanceof PolicyError && message.test(err.message));

  it('unknown KVS action names', () => {
    refuses({ Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:PutMedia', Resource: '*' }, { Sid: 'Read', Effect: 'Allow', Action: 'kinesisvideo:GetMediaa', Resource: '*' }] }, /^cam\.json: statement 2 \(Sid "Read"\): unknown action "kinesisvideo:GetMediaa"/);
    refuses({ Statement: { Effect: 'Allow', Action: 'PutMedia', Resource: '*' } }, /statement 1: action "PutMedia" must look like/);
  });

  it('structure', () => {
    refuses('{', /not valid JSON/);
    refuses([], /must be a JSON object/);
    refuses({ Version: '2012-10-18', Statement: [] }, /Version must be/);
    refuses({ Statement: [] }, /Statement is missing or empty/);
    refuses({ Statement: [{ Effect: 'allow', Action: '*', Resource: '*' }] }, /statement 1: Effect must be "Allow" or "Deny"/);
    refuses({ Statement: [{ Effect: 'Allow', Action: '*', NotAction: '*', Resource: '*' }] }, /exactly one of Action or NotAction/);
    refuses({ Statement: [{ Effect: 'Allow', Action: '*' }] }, /exactly one of Resource or NotResource/);
    refuses({ Statement: [{ Effect: 'Allow', Action: [], Resource: '*' }] }, /Action must be a non-empty/);
    refuses({ Statement: [{ Effect: 'Allow', Action: '*', Resource: 'stream/cam-1' }] }, /resource "stream\/cam-1" must be "\*" or an ARN/);
    refuses({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Principal: '*' }] }, /Principal/);
    refuses({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }] }, /Condition is not supported/);
    refuses({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Actions: '*' }] }, /unknown element "Actions"/);
  });
});
