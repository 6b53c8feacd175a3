// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Invariants} from "./Invariants.sol";
import {AdminHandler} from "./handlers/AdminHandler.sol";
import {BorrowerHandler} from "./handlers/BorrowerHandler.sol";
import {LenderHandler} from "./handlers/LenderHandler.sol";
import {LiquidationHandler} from "./handlers/LiquidationHandler.sol";
import {RoundTripHandler} from "./handlers/RoundTripHandler.sol";
import {SimulatorHandler} from "./handlers/SimulatorHandler.sol";

/// @title Tester
/// @notice The one invariant harness for all three engines. Its constructor takes no arguments and deploys the whole
/// system (Setup); its external non-view functions are the handlers the engines call with random arguments; its
/// `echidna_*` views are the properties.
///   - forge: invariants/ForgeInvariants.t.sol deploys it, targets it, and asserts each property (`make invariant`).
///   - medusa: medusa.json targets `Tester` (property prefix `echidna_`) (`make medusa`).
///   - Echidna: echidna.yaml, contract `Tester`, property mode (`make echidna`, Docker).
/// Counterexamples from any engine replay as forge tests in invariants/CryticToFoundry.t.sol.
contract Tester is
    Invariants,
    LenderHandler,
    BorrowerHandler,
    LiquidationHandler,
    SimulatorHandler,
    AdminHandler,
    RoundTripHandler
{
    constructor() {
        _initGhosts();
    }
}
