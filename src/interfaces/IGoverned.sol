// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGoverned
/// @notice Roles shared by every upgradeable core contract.
/// @dev Warning: the timelock holds every power that can loosen risk or move funds: upgrades and parameter changes.
/// The guardian can only tighten (pause new borrows, freeze a collection, lower a debt ceiling); it can never
/// unpause, upgrade or move funds.
interface IGoverned {
    /// @notice Thrown when a timelock-only function is called by `caller`.
    error NotTimelock(address caller);
    /// @notice Thrown when a guardian function is called by `caller`, which is neither the guardian nor the timelock.
    error NotGuardian(address caller);
    /// @notice Thrown when a role is set to the zero address.
    error ZeroAddress();

    /// @notice Emitted when the guardian changes.
    event GuardianSet(address indexed guardian);

    /// @notice The TimelockController that owns upgrades and every parameter change.
    function timelock() external view returns (address);

    /// @notice The account that may only tighten risk settings.
    function guardian() external view returns (address);

    /// @notice Replaces the guardian. Timelock only.
    function setGuardian(address newGuardian) external;
}
