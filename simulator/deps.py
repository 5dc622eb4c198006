"""FastAPI dependencies that hand a request handler the simulator's state.

``create_app`` keeps the world and its deliverer on ``app.state``; the routers are module-level, so their
handlers reach both through ``Depends`` instead of closing over them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from simulator.delivery import Deliverer
from simulator.state import World


def get_world(request: Request) -> World:
    world: World = request.app.state.world
    return world


def get_deliverer(request: Request) -> Deliverer:
    deliverer: Deliverer = request.app.state.deliverer
    return deliverer


WorldDep = Annotated[World, Depends(get_world)]
DelivererDep = Annotated[Deliverer, Depends(get_deliverer)]
