export { startDynalite, TEST_CREDENTIALS, TEST_REGION, type Dynalite } from '../../lib/local/dynalite';
