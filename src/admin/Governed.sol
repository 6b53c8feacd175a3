// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {GovernedBase} from "./GovernedBase.sol";
import {UUPSUpgradeable} from "solady/utils/UUPSUpgradeable.sol";

/// @title Governed
/// @notice UUPS base for every core contract: upgrades only by the timelock, a guardian that can only tighten,
/// implementations that can never be initialised, and ERC-7201 namespaced storage (see GovernedBase).
abstract contract Governed is GovernedBase, UUPSUpgradeable {
    /// @dev Implementations are never initialisable: only proxies are.
    constructor() {
        _disableInitializers();
    }

    /// @dev Only the timelock upgrades; UUPSUpgradeable already refuses calls that are not through the proxy.
    function _authorizeUpgrade(address) internal view override onlyTimelock {}
}
