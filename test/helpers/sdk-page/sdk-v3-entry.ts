/**
 * The browser entry of the AWS SDK for JavaScript v3 page (test/helpers/sdk-browser.ts bundles it
 * with esbuild for platform 'browser', so the clients get their browser runtime: fetch, the
 * WebCrypto signer). It only puts the clients and commands on `globalThis.openkvsSdkV3`;
 * sdk-page.js drives them, as it drives v2's `AWS`.
 */
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  ListStreamsCommand,
} from '@aws-sdk/client-kinesis-video';
import {
  GetHLSStreamingSessionURLCommand,
  KinesisVideoArchivedMediaClient,
  ListFragmentsCommand,
} from '@aws-sdk/client-kinesis-video-archived-media';

(globalThis as Record<string, unknown>)['openkvsSdkV3'] = {
  KinesisVideo: { Client: KinesisVideoClient, commands: { CreateStreamCommand, DescribeStreamCommand, GetDataEndpointCommand, ListStreamsCommand } },
  KinesisVideoArchivedMedia: { Client: KinesisVideoArchivedMediaClient, commands: { GetHLSStreamingSessionURLCommand, ListFragmentsCommand } },
};
