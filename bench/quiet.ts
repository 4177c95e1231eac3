// The benchmark prints only its JSON lines: the handlers it runs log and publish metrics nowhere.
import '../test/support/quiet-env';
