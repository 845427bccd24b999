"""NinjaDesk: a desktop companion for MSP technicians running NinjaOne RMM beside a PSA."""

__version__ = "0.1.0"
