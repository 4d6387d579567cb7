// peregrine-keygen: CURVE key files for the ZeroMQ links; the work is in common/keygen/.
#include "common/keygen/keygen.h"

int main(int argc, char** argv) { return peregrine::keygen::keygen_main(argc, argv); }
