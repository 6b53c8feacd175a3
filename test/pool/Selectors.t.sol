// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {BaseTest} from "../utils/BaseTest.sol";
import {VmSafe} from "forge-std/Vm.sol";

/// @notice `ILendingPool` is exactly its three parts, each served by the implementation contract that declares it:
/// `ILendingPoolCore` (LendingPool), `ILendingPoolExtension` (LendingPoolExtension, behind the core's fallback) and
/// `ILendingPoolAdmin` (LendingPoolAdmin, behind the extension's). The compiler checks that each contract implements
/// its part; this checks the rest: that the parts cover `ILendingPool` once each (read from the build's
/// `methodIdentifiers`, so a function added to `ILendingPool` itself or to two parts fails here), and that every
/// selector answers through a deployed proxy instead of falling off the end of the chain of fallbacks.
contract SelectorsTest is BaseTest {
    /// @dev Zeroed arguments long enough for every static head of `ILendingPool` (a `Loan` is 15 words); a dynamic
    /// argument's offset of 0 decodes as an empty string or array.
    uint256 internal constant ZERO_ARGS = 32 * 40;

    function test_parts_coverILendingPoolExactlyOnce() public fromArtifacts {
        (bytes4[] memory all, string[] memory sigs) = _selectors("ILendingPool");
        (bytes4[] memory core,) = _selectors("ILendingPoolCore");
        (bytes4[] memory ext,) = _selectors("ILendingPoolExtension");
        (bytes4[] memory admin,) = _selectors("ILendingPoolAdmin");
        assertGt(all.length, 0, "no selectors read");
        assertEq(core.length + ext.length + admin.length, all.length, "the parts do not add up to ILendingPool");
        for (uint256 i; i < all.length; ++i) {
            uint256 found = _count(core, all[i]) + _count(ext, all[i]) + _count(admin, all[i]);
            assertEq(found, 1, string.concat(sigs[i], ": not in exactly one part"));
        }
    }

    function test_everySelector_answersThroughTheProxy() public fromArtifacts {
        (bytes4[] memory all, string[] memory sigs) = _selectors("ILendingPool");
        for (uint256 i; i < all.length; ++i) {
            (bool ok, bytes memory ret) = address(pool).call(abi.encodePacked(all[i], new bytes(ZERO_ARGS)));
            // The last hop (LendingPoolAdmin) has no fallback: a selector nobody serves reverts there with no data.
            assertTrue(ok || ret.length != 0, string.concat(sigs[i], ": unknown to every part of the pool"));
        }
    }

    /// @dev The criterion above tells a selector nobody serves from one that answers: such a selector ends in a
    /// revert without data, after both fallbacks.
    function test_unknownSelector_revertsWithoutDataAtTheLastHop() public {
        (bool ok, bytes memory ret) = address(pool).call(abi.encodePacked(bytes4(0xdeadbeef), new bytes(ZERO_ARGS)));
        assertFalse(ok);
        assertEq(ret.length, 0);
    }

    /// @dev The test reads the interfaces' artifacts from the build directory. `forge coverage` writes none (it builds
    /// in memory), so there the test is skipped; `forge test` (make test, CI) runs it on every build.
    modifier fromArtifacts() {
        if (vm.isContext(VmSafe.ForgeContext.Coverage)) vm.skip(true);
        _;
    }

    /// @dev The selectors of interface `name` and their signatures, from its artifact in the build directory.
    function _selectors(string memory name) internal view returns (bytes4[] memory sels, string[] memory sigs) {
        string memory out = vm.envOr("FOUNDRY_OUT", string("out"));
        string memory path = string.concat(vm.projectRoot(), "/", out, "/", name, ".sol/", name, ".json");
        sigs = vm.parseJsonKeys(vm.readFile(path), ".methodIdentifiers");
        sels = new bytes4[](sigs.length);
        for (uint256 i; i < sigs.length; ++i) {
            sels[i] = bytes4(keccak256(bytes(sigs[i])));
        }
    }

    function _count(bytes4[] memory set, bytes4 sel) internal pure returns (uint256 n) {
        for (uint256 i; i < set.length; ++i) {
            if (set[i] == sel) ++n;
        }
    }
}
