#include "handlers/loop_services.hpp"
