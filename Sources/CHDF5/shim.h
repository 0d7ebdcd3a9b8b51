// Debian's serial HDF5 (libhdf5-dev) keeps its headers in hdf5/serial.
#include <hdf5/serial/hdf5.h>
