import { Fn, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '#handlers/origin-verify.ts';

export interface EdgeProps {
  readonly api: HttpApi;
  /** A WAFv2 web ACL of scope CLOUDFRONT (made in us-east-1), by ARN. */
  readonly webAclArn: string;
}

/**
 * The optional WAF in front of the HTTP API. An HTTP API cannot be associated with a web ACL, so
 * a CloudFront distribution fronts it, with the web ACL on the distribution. CloudFront adds a
 * header with a generated value to every request it sends on; the API functions answer 403 to a
 * request without it (functions/handlers/origin-verify.ts), so the execute-api address cannot be
 * used to go around the WAF. The functions' links use the distribution's address
 * (`MAKEGOOD_PUBLIC_URL`), so no email sends a person around it either.
 */
export class Edge extends Construct {
  readonly distribution: Distribution;
  /** The public base URL: `https://<distribution>.cloudfront.net`. */
  readonly publicUrl: string;
  /** The value CloudFront sends in {@link ORIGIN_VERIFY_HEADER}; the API functions get it in their environment. */
  readonly originVerifyValue: string;
  readonly originVerifySecret: Secret;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    this.originVerifySecret = new Secret(this, 'OriginVerify', {
      description: 'makegood: the header value CloudFront sends to the API; a request without it is refused',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    // CloudFront's origin headers and the functions' environment hold the value itself (neither
    // reads a secret at request time): CloudFormation resolves it into both at deploy. The secret
    // is where it is generated, once; nothing rotates it.
    this.originVerifyValue = this.originVerifySecret.secretValue.unsafeUnwrap();
    const apiHost = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'makegood HTTP API behind the web ACL',
      webAclId: props.webAclArn,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_ALL,
      defaultBehavior: {
        origin: new HttpOrigin(apiHost, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          customHeaders: { [ORIGIN_VERIFY_HEADER]: this.originVerifyValue },
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        // Every answer is per request (signed, per claim, per token): nothing is cached.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // Every header, the query string and cookies go on, but Host: API Gateway routes by its own.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    });
    this.publicUrl = `https://${this.distribution.distributionDomainName}`;

    Validations.of(this.originVerifySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is also in the distribution and the functions, which do not read a secret at request time; a rotation would not reach them until CloudFormation updated both, so the value is replaced, not rotated.',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Shops and their customers are wherever the shop sells; a geo restriction, if any, is a rule of the web ACL the deployment supplies.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'The API stage already writes an access log of every request that reaches it (HttpApiAccessLogs), and the web ACL its own logs; CloudFront standard logs would need a log bucket with ACLs enabled for a third copy.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses its cloudfront.net certificate, for which CloudFront fixes the minimum protocol; a custom domain with its own certificate and TLSv1.2_2021 is the deployment’s choice.',
      },
    );
  }
}
