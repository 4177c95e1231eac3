import './support/quiet-env';
