// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IGoverned} from "../interfaces/IGoverned.sol";
import {Initializable} from "solady/utils/Initializable.sol";

/// @title GovernedBase
/// @notice The roles of every core contract, in ERC-7201 namespaced storage: a timelock that holds every power that
/// can loosen risk, and a guardian that can only tighten. `Governed` adds the UUPS upgrade path.
abstract contract GovernedBase is IGoverned, Initializable {
    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @custom:storage-location erc7201:nftlend.storage.Governed
    struct GovernedStorage {
        address timelock;
        address guardian;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("nftlend.storage.Governed")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant GOVERNED_SLOT = 0x5b3a630ba85749325efb592c825831f8de02354dafe4104e313e56745c0bc900;

    function _governed() private pure returns (GovernedStorage storage $) {
        assembly ("memory-safe") {
            $.slot := GOVERNED_SLOT
        }
    }

    /*//////////////////////////////////////////////////////////////
                               MODIFIERS
    //////////////////////////////////////////////////////////////*/

    modifier onlyTimelock() {
        if (msg.sender != _governed().timelock) revert NotTimelock(msg.sender);
        _;
    }

    modifier onlyGuardian() {
        GovernedStorage storage $ = _governed();
        if (msg.sender != $.guardian && msg.sender != $.timelock) revert NotGuardian(msg.sender);
        _;
    }

    /*//////////////////////////////////////////////////////////////
                              INITIALIZER
    //////////////////////////////////////////////////////////////*/

    function __Governed_init(address timelock_, address guardian_) internal onlyInitializing {
        if (timelock_ == address(0) || guardian_ == address(0)) revert ZeroAddress();
        GovernedStorage storage $ = _governed();
        $.timelock = timelock_;
        $.guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /*//////////////////////////////////////////////////////////////
                                 ROLES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IGoverned
    function timelock() public view returns (address) {
        return _governed().timelock;
    }

    /// @inheritdoc IGoverned
    function guardian() public view returns (address) {
        return _governed().guardian;
    }

    /// @inheritdoc IGoverned
    function setGuardian(address newGuardian) external onlyTimelock {
        if (newGuardian == address(0)) revert ZeroAddress();
        _governed().guardian = newGuardian;
        emit GuardianSet(newGuardian);
    }
}
