#include "backends/storage.hpp"
